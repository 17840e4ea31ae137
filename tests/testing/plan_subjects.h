// The subjects of Đề án 06 tasks as provinces title them, shared by the benchmarks
// (tests/bench) so that both write the same kind of text.
#ifndef D06_TESTS_TESTING_PLAN_SUBJECTS_H_
#define D06_TESTS_TESTING_PLAN_SUBJECTS_H_

#include <cstdint>

namespace d06::testing {

inline constexpr const char* kPlanSubjects[] = {
    "Triển khai thanh toán không dùng tiền mặt",
    "Làm sạch dữ liệu dân cư",
    "Cấp căn cước cho công dân",
    "Kích hoạt tài khoản định danh điện tử mức độ 2",
    "Tích hợp dịch vụ công trực tuyến toàn trình",
    "Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính",
};

// The subject of the i-th task.
inline const char* PlanSubject(int64_t i) {
  return kPlanSubjects[i % (sizeof(kPlanSubjects) / sizeof(kPlanSubjects[0]))];
}

}  // namespace d06::testing

#endif  // D06_TESTS_TESTING_PLAN_SUBJECTS_H_
