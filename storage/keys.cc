#include "storage/keys.h"

#include "absl/strings/str_cat.h"

namespace d06::keys {

void PutU8(std::string* out, uint8_t v) { out->push_back(static_cast<char>(v)); }

void PutU32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

void PutU64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

void PutString(std::string* out, absl::string_view s) {
  out->append(s.data(), s.size());
  out->push_back('\0');
}

namespace {

template <typename T>
bool GetBigEndian(absl::string_view* in, T* v) {
  if (in->size() < sizeof(T)) return false;
  T result = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    result = static_cast<T>((result << 8) | static_cast<uint8_t>((*in)[i]));
  }
  in->remove_prefix(sizeof(T));
  *v = result;
  return true;
}

}  // namespace

bool GetU8(absl::string_view* in, uint8_t* v) { return GetBigEndian(in, v); }
bool GetU32(absl::string_view* in, uint32_t* v) { return GetBigEndian(in, v); }
bool GetU64(absl::string_view* in, uint64_t* v) { return GetBigEndian(in, v); }

bool GetString(absl::string_view* in, std::string* s) {
  size_t end = in->find('\0');
  if (end == absl::string_view::npos) return false;
  s->assign(in->data(), end);
  in->remove_prefix(end + 1);
  return true;
}

uint64_t DeadlineKey(int64_t day_number) {
  // Flip the sign bit so negative day numbers (before 1970) sort first.
  return static_cast<uint64_t>(day_number) ^ (uint64_t{1} << 63);
}

std::string UnitKey(absl::string_view code) {
  std::string key = "u";
  PutString(&key, code);
  return key;
}

std::string TaskKey(uint64_t id) {
  std::string key = "t";
  PutU64(&key, id);
  return key;
}

std::string AssignmentPrefix(uint64_t task_id) {
  std::string key = "a";
  PutU64(&key, task_id);
  return key;
}

std::string AssignmentKey(uint64_t task_id, absl::string_view unit_code) {
  std::string key = AssignmentPrefix(task_id);
  PutString(&key, unit_code);
  return key;
}

std::string PeriodReportPrefix(uint64_t task_id, absl::string_view unit_code) {
  std::string key = "p";
  PutU64(&key, task_id);
  PutString(&key, unit_code);
  return key;
}

std::string PrincipalKey(absl::string_view id) {
  std::string key = kPrincipalPrefix;
  PutString(&key, id);
  return key;
}

std::string TokenPrefix(absl::string_view principal_id) {
  std::string key = "K";
  PutString(&key, principal_id);
  return key;
}

std::string TokenKey(absl::string_view principal_id, absl::string_view token_id) {
  std::string key = TokenPrefix(principal_id);
  PutString(&key, token_id);
  return key;
}

std::string TokenHashKey(absl::string_view hash) { return absl::StrCat("kh", hash); }

std::string SubjectKey(absl::string_view subject) {
  std::string key = "pc";
  PutString(&key, subject);
  return key;
}

std::string PeriodReportKey(uint64_t task_id, absl::string_view unit_code, uint64_t start_key) {
  std::string key = PeriodReportPrefix(task_id, unit_code);
  PutU64(&key, start_key);
  return key;
}

std::string EventKey(int64_t revision, int32_t index) {
  std::string key;
  PutU64(&key, static_cast<uint64_t>(revision));
  PutU32(&key, static_cast<uint32_t>(index));
  return key;
}

std::string PrefixEnd(absl::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto last = static_cast<uint8_t>(end.back());
    if (last != 0xFF) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return end;
}

}  // namespace d06::keys
