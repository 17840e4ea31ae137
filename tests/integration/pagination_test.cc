// ListAssignments pagination over 1,000 assignments while other writers keep changing
// the data: no duplicates, nothing that existed before the scan is skipped.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

constexpr int kTasks = 50;
constexpr int kUnits = 20;

class PaginationTest : public ServerTest {
 protected:
  static std::string Unit(int i) { return absl::StrCat("units/H29.", 10 + i); }

  // Runs fn(0..n-1) on `threads` threads; rethrows nothing (failures are recorded).
  template <typename Fn>
  static void Parallel(int n, int threads, Fn fn) {
    std::atomic<int> next{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        for (int i = next.fetch_add(1); i < n; i = next.fetch_add(1)) fn(i);
      });
    }
    for (auto& th : pool) th.join();
  }
};

TEST_F(PaginationTest, ScanWhileWritingSeesEveryOldAssignmentOnce) {
  MakeUnit("H29");
  Parallel(kUnits + 10, 4, [&](int i) {
    v1::CreateUnitRequest req;
    req.mutable_unit()->set_code(absl::StrCat("H29.", 10 + i));
    req.mutable_unit()->set_display_name(absl::StrCat("Phòng ", i));
    req.mutable_unit()->set_kind(v1::UNIT_KIND_DEPARTMENT);
    req.mutable_unit()->set_parent("units/H29");
    EXPECT_TRUE(client().CreateUnit(req).ok());
  });
  std::vector<std::string> tasks(kTasks);
  Parallel(kTasks, 4, [&](int k) {
    v1::CreateTaskRequest req;
    req.mutable_task()->set_title(absl::StrCat("Nhiệm vụ ", k));
    req.mutable_task()->set_kind(v1::TASK_KIND_ONE_OFF);
    req.mutable_task()->set_assigning_unit("units/H29");
    if (k % 7 != 0) *req.mutable_task()->mutable_deadline() = Day(2026, 4, 1 + k % 10);
    auto got = client().CreateTask(req);
    ASSERT_TRUE(got.ok()) << got.status();
    tasks[k] = got->task().name();
  });
  ASSERT_EQ(std::count(tasks.begin(), tasks.end(), ""), 0);

  // 50 tasks x 20 units = 1,000 assignments, from 8 threads sharing one client.
  std::vector<std::string> before(kTasks * kUnits);
  std::atomic<int> failures{0};
  Parallel(kTasks * kUnits, 8, [&](int n) {
    int k = n / kUnits, u = n % kUnits;
    v1::Date own = (u % 5 == 0) ? Day(2026, 5, 1 + u) : v1::Date();
    auto got = client().CreateAssignment(AssignReq(
        tasks[k], Unit(u), u == 0 ? v1::ASSIGNMENT_ROLE_LEAD : v1::ASSIGNMENT_ROLE_SUPPORT, own));
    if (!got.ok()) {
      ++failures;
      ADD_FAILURE() << got.status();
      return;
    }
    before[n] = got->assignment().name();
  });
  ASSERT_EQ(failures.load(), 0);
  const std::set<std::string> existing(before.begin(), before.end());
  ASSERT_EQ(existing.size(), static_cast<size_t>(kTasks * kUnits));

  // Writers: new assignments (units 20..29 on every task) and transitions of old ones.
  std::atomic<bool> stop{false};
  std::atomic<int> writes{0};
  std::vector<std::thread> writers;
  writers.emplace_back([&] {
    for (int n = 0; !stop.load() && n < kTasks * 10; ++n) {
      int k = (n * 7) % kTasks, u = kUnits + n / kTasks;
      auto got =
          client().CreateAssignment(AssignReq(tasks[k], Unit(u), v1::ASSIGNMENT_ROLE_SUPPORT,
                                              n % 2 ? Day(2026, 4, 1 + n % 28) : v1::Date()));
      EXPECT_TRUE(got.ok()) << got.status();
      ++writes;
    }
  });
  writers.emplace_back([&] {
    for (int n = 0; !stop.load() && n < kTasks * kUnits; ++n) {
      const std::string& name = before[(n * 37) % before.size()];
      absl::Status s =
          n % 3 == 0 ? client().StartAssignment(Named<v1::StartAssignmentRequest>(name)).status()
                     : [&] {
                         v1::ReportAssignmentProgressRequest req;
                         req.set_name(name);
                         req.set_percent(n % 101);
                         return client().ReportAssignmentProgress(req).status();
                       }();
      EXPECT_TRUE(s.ok() || s.code() == absl::StatusCode::kFailedPrecondition) << s;
      ++writes;
    }
  });

  std::map<std::string, int> seen;
  v1::ListAssignmentsRequest req;
  req.set_parent("tasks/-");
  req.set_page_size(37);
  int pages = 0;
  while (true) {
    auto page = client().ListAssignments(req);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_LE(page->assignments_size(), 37);
    for (const auto& a : page->assignments()) ++seen[a.name()];
    ++pages;
    if (page->next_page_token().empty() || pages > 1000) break;
    req.set_page_token(page->next_page_token());
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // let writers interleave
  }
  stop = true;
  for (auto& th : writers) th.join();

  EXPECT_GE(pages, 1000 / 37);
  EXPECT_GT(writes.load(), 0);
  int duplicates = 0, missing = 0;
  for (const auto& [name, count] : seen) {
    if (count > 1 && ++duplicates <= 5) ADD_FAILURE() << name << " seen " << count << " times";
  }
  for (const auto& name : existing) {
    if (seen.count(name) == 0 && ++missing <= 5) ADD_FAILURE() << name << " missing from the scan";
  }
  EXPECT_EQ(duplicates, 0);
  EXPECT_EQ(missing, 0);
  std::cerr << "scan: " << pages << " pages, " << seen.size() << " assignments, " << writes.load()
            << " concurrent writes\n";

  // A quiet full scan has everything, exactly once, in the documented order.
  std::vector<v1::Assignment> all = AllAssignments("tasks/-", "", 37);
  std::set<std::string> names;
  for (const auto& a : all) EXPECT_TRUE(names.insert(a.name()).second) << a.name();
  for (size_t i = 1; i < all.size(); ++i) {
    const v1::Date& p = all[i - 1].deadline();
    const v1::Date& c = all[i].deadline();
    auto key = [](const v1::Date& d) {
      return d.year() == 0 ? 99999999 : d.year() * 10000 + d.month() * 100 + d.day();
    };
    EXPECT_LE(key(p), key(c)) << all[i - 1].name() << " before " << all[i].name();
  }
}

TEST_F(PaginationTest, FilteredPagesAndTokens) {
  MakeUnit("H29");
  for (int u = 0; u < 5; ++u)
    MakeUnit(absl::StrCat("H29.", 10 + u), v1::UNIT_KIND_DEPARTMENT, "units/H29");
  std::vector<std::string> tasks;
  for (int k = 0; k < 12; ++k) tasks.push_back(MakeTask("units/H29", absl::StrCat("T", k)).name());
  for (const auto& t : tasks) {
    for (int u = 0; u < 5; ++u)
      Assign(t, Unit(u), u == 0 ? v1::ASSIGNMENT_ROLE_LEAD : v1::ASSIGNMENT_ROLE_SUPPORT);
  }
  // Filtered scans with tiny pages return the same set as one big page.
  for (const std::string filter :
       {"role = LEAD", R"(unit = "units/H29.12")", "state = NOT_STARTED"}) {
    SCOPED_TRACE(filter);
    std::vector<std::string> small = Names(AllAssignments("tasks/-", filter, 1));
    std::vector<std::string> big = Names(AllAssignments("tasks/-", filter, 1000));
    EXPECT_EQ(small, big);
  }
  EXPECT_EQ(AllAssignments("tasks/-", "role = LEAD", 5).size(), 12u);
  EXPECT_EQ(AllAssignments(tasks[3], "", 2).size(), 5u);

  // A token from one query is not valid for another.
  v1::ListAssignmentsRequest req;
  req.set_parent("tasks/-");
  req.set_page_size(5);
  auto first = client().ListAssignments(req);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_FALSE(first->next_page_token().empty());
  v1::ListAssignmentsRequest other = req;
  other.set_page_token(first->next_page_token());
  other.set_filter("role = LEAD");
  EXPECT_THAT(client().ListAssignments(other).status(),
              IsError(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN"));
  other = req;
  other.set_page_token(first->next_page_token());
  other.set_parent(tasks[0]);
  EXPECT_THAT(client().ListAssignments(other).status(),
              IsError(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN"));
}

}  // namespace
}  // namespace d06::testing
