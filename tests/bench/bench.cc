// d06_bench: measures what the design promises, on this machine, as ratios within one run.
//
//  1. Group commit: every acknowledged write is durable (WAL synced), and concurrent
//     writers share syncs, so throughput grows with writers while syncs per write fall.
//  2. Lists are served from indexes: the cost of a page does not grow with the number of
//     tasks (the same queries at 1k, 10k and 100k tasks).
//  3. End to end: the same writes through gRPC and the client library.
//
// scripts/bench.sh runs it and writes tests/bench/RESULTS.md. `--quick` shrinks every size
// for the CTest smoke run, which checks the benchmark still works, not its numbers.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "common/dates.h"
#include "common/flags_usage.h"
#include "server/core/core.h"
#include "server/d06d/server.h"
#include "server/domain/clock.h"
#include "server/domain/dates.h"
#include "storage/store.h"
#include "tests/testing/core_env.h"
#include "tests/testing/plan_subjects.h"
#include "tests/testing/temp_dir.h"

ABSL_FLAG(bool, quick, false, "tiny sizes and durations (the CTest smoke run)");
ABSL_FLAG(std::string, out, "", "also write the Markdown report to this file");
ABSL_FLAG(int64_t, max_assignments, 1000000,
          "the largest size of the list benchmark, in assignments (1000, 10000, ... up to it)");
ABSL_FLAG(std::string, only, "",
          "run one section only: group_commit, lists or end_to_end (empty: all)");

namespace d06::bench {
namespace {

// "Today" in every scenario: mid-year, so that deadlines fall on both sides.
absl::Time Today() {
  return absl::FromCivil(absl::CivilSecond(2026, 7, 1, 9, 0, 0), absl::FixedTimeZone(7 * 3600));
}

constexpr int kProvinces = 20;
constexpr int kDepartments = 10;  // per province

// The actor of the benchmark's direct calls of the core (not authorised further).
Caller BenchCaller() {
  Caller caller;
  caller.actor = "bench";
  return caller;
}

std::string Province(int p) { return absl::StrFormat("H%02d", p + 1); }
std::string Department(int p, int d) { return absl::StrFormat("H%02d.%02d", p + 1, d + 1); }
// One commune (of a district of units/H07) with kCommuneTasks tasks at every size: what
// it lists must cost the same whatever else the database holds.
constexpr char kDistrict[] = "H07.Q01";
constexpr char kCommune[] = "H07.Q01.X01";
constexpr int kCommuneTasks = 150;

double Micros(absl::Duration d) { return absl::ToDoubleMicroseconds(d); }

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t at = static_cast<size_t>(p * static_cast<double>(values.size() - 1));
  return values[at];
}

void Check(const absl::Status& status, const std::string& what) {
  if (!status.ok()) {
    std::cerr << "d06_bench: " << what << ": " << status << "\n";
    std::exit(1);
  }
}

// Bounds the number of asynchronous Core writes in flight.
class InFlight {
 public:
  explicit InFlight(int limit) : limit_(limit) {}
  void Acquire() {
    absl::MutexLock lock(&mu_, absl::Condition(this, &InFlight::HasRoom));
    ++n_;
  }
  void Release(const absl::Status& status) {
    absl::MutexLock lock(&mu_);
    --n_;
    if (!status.ok() && first_error_.ok()) first_error_ = status;
  }
  absl::Status WaitAll() {
    absl::MutexLock lock(&mu_, absl::Condition(this, &InFlight::Idle));
    return first_error_;
  }

 private:
  bool HasRoom() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return n_ < limit_; }
  bool Idle() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return n_ == 0; }
  const int limit_;
  absl::Mutex mu_;
  int n_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status first_error_ ABSL_GUARDED_BY(mu_);
};

// The benchmark's data set over a CoreEnv (tests/testing/core_env.h), clock at Today().
class Env : public testing::CoreEnv {
 public:
  explicit Env(bool sync = true) : CoreEnv(Today(), sync) {}

  void CreateUnits() {
    const Caller ctx = BenchCaller();
    auto create = [&](const std::string& code, v1::UnitKind kind, const std::string& parent) {
      v1::CreateUnitRequest req;
      req.mutable_unit()->set_code(code);
      req.mutable_unit()->set_display_name(absl::StrCat("Đơn vị ", code));
      req.mutable_unit()->set_kind(kind);
      if (!parent.empty()) req.mutable_unit()->set_parent(absl::StrCat("units/", parent));
      v1::CreateUnitResponse resp;
      Check(Await([&](Core::Done done) { core().CreateUnit(ctx, req, &resp, std::move(done)); }),
            "create unit " + code);
    };
    for (int p = 0; p < kProvinces; ++p) {
      create(Province(p), v1::UNIT_KIND_PROVINCE, "");
      for (int d = 0; d < kDepartments; ++d) {
        create(Department(p, d), v1::UNIT_KIND_DEPARTMENT, Province(p));
      }
    }
    create(kDistrict, v1::UNIT_KIND_DISTRICT, Province(6));
    create(kCommune, v1::UNIT_KIND_COMMUNE, kDistrict);
  }

  // kCommuneTasks tasks of the province, each led by the commune alone.
  void AddCommuneTasks() {
    const Caller ctx = BenchCaller();
    for (int i = 0; i < kCommuneTasks; ++i) {
      v1::CreateTaskRequest req = TaskRequest(i);
      req.mutable_task()->set_assigning_unit(absl::StrCat("units/", Province(6)));
      v1::Assignment* lead = req.add_assignments();
      lead->set_unit(absl::StrCat("units/", kCommune));
      lead->set_role(v1::ASSIGNMENT_ROLE_LEAD);
      v1::CreateTaskResponse resp;
      Check(Await([&](Core::Done done) { core().CreateTask(ctx, req, &resp, std::move(done)); }),
            "create a commune task");
    }
  }

  // A task as provinces write them; every 50th mentions health insurance cards (the
  // search benchmark's rare words).
  static v1::CreateTaskRequest TaskRequest(int64_t i) {
    v1::CreateTaskRequest req;
    v1::Task* task = req.mutable_task();
    std::string title = testing::PlanSubject(i);
    if (i % 50 == 0) title += " gắn với thẻ bảo hiểm y tế";
    task->set_title(absl::StrCat(title, " — đợt ", i));
    task->set_content("Theo Đề án 06: rà soát, báo cáo kết quả về Tổ công tác.");
    task->set_kind(v1::TASK_KIND_ONE_OFF);
    task->set_assigning_unit(absl::StrCat("units/", Province(static_cast<int>(i % kProvinces))));
    *task->mutable_deadline() = ToDate(absl::CivilDay(2026, 1, 1) + (i * 7) % 365);
    return req;
  }

  // Creates tasks [from, to), each with a lead and a supporting department of its
  // province; every 4th lead has started. Many writes in flight, as under load.
  void AddTasks(int64_t from, int64_t to) {
    const Caller ctx = BenchCaller();
    InFlight inflight(256);
    struct TaskOp {
      v1::CreateTaskRequest req;
      v1::CreateTaskResponse resp;
    };
    std::vector<std::shared_ptr<TaskOp>> tasks;
    for (int64_t i = from; i < to; ++i) {
      auto op = std::make_shared<TaskOp>();
      op->req = TaskRequest(i);
      tasks.push_back(op);
      inflight.Acquire();
      core().CreateTask(ctx, op->req, &op->resp,
                        [&inflight, op](absl::Status s) { inflight.Release(s); });
    }
    Check(inflight.WaitAll(), "create tasks");
    struct AssignOp {
      v1::CreateAssignmentRequest req;
      v1::CreateAssignmentResponse resp;
    };
    std::vector<std::shared_ptr<AssignOp>> leads;
    for (int64_t i = from; i < to; ++i) {
      const int p = static_cast<int>(i % kProvinces);
      for (int role = 0; role < 2; ++role) {
        auto op = std::make_shared<AssignOp>();
        op->req.set_parent(tasks[static_cast<size_t>(i - from)]->resp.task().name());
        op->req.mutable_assignment()->set_unit(absl::StrCat(
            "units/", Department(p, static_cast<int>((i / kProvinces + role) % kDepartments))));
        op->req.mutable_assignment()->set_role(role == 0 ? v1::ASSIGNMENT_ROLE_LEAD
                                                         : v1::ASSIGNMENT_ROLE_SUPPORT);
        if (role == 0 && i % 4 == 0) leads.push_back(op);
        inflight.Acquire();
        core().CreateAssignment(ctx, op->req, &op->resp,
                                [&inflight, op](absl::Status s) { inflight.Release(s); });
      }
    }
    Check(inflight.WaitAll(), "create assignments");
    for (const auto& lead : leads) {
      TransitionArgs args;
      args.action = Action::kStart;
      args.name = lead->resp.assignment().name();
      auto req = std::make_shared<v1::StartAssignmentRequest>();
      req->set_name(args.name);
      auto resp = std::make_shared<v1::Assignment>();
      inflight.Acquire();
      core().Transition(ctx, *req, args, resp.get(),
                        [&inflight, req, resp](absl::Status s) { inflight.Release(s); });
    }
    Check(inflight.WaitAll(), "start assignments");
  }
};

// Runs `op` from `writers` threads for `duration`; latencies in microseconds.
struct LoadResult {
  double ops_per_second = 0;
  std::vector<double> latencies;
};
LoadResult RunLoad(int writers, absl::Duration duration,
                   const std::function<absl::Status(int writer, int64_t i)>& op) {
  std::vector<std::vector<double>> latencies(static_cast<size_t>(writers));
  std::atomic<bool> failed{false};
  const absl::Time start = absl::Now();
  const absl::Time end = start + duration;
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      for (int64_t i = 0; absl::Now() < end; ++i) {
        const absl::Time t0 = absl::Now();
        absl::Status s = op(w, i);
        if (!s.ok()) {
          std::cerr << "d06_bench: write failed: " << s << "\n";
          failed = true;
          return;
        }
        latencies[static_cast<size_t>(w)].push_back(Micros(absl::Now() - t0));
      }
    });
  }
  for (auto& t : threads) t.join();
  if (failed) std::exit(1);
  LoadResult result;
  for (const auto& l : latencies)
    result.latencies.insert(result.latencies.end(), l.begin(), l.end());
  result.ops_per_second =
      static_cast<double>(result.latencies.size()) / absl::ToDoubleSeconds(absl::Now() - start);
  return result;
}

class Report {
 public:
  void Line(const std::string& line = "") {
    out_ << line << "\n";
    std::cout << line << std::endl;
  }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

void GroupCommit(Report& report, bool quick) {
  const absl::Duration duration = quick ? absl::Milliseconds(200) : absl::Seconds(3);
  report.Line("## 1. Durable writes and group commit (Core over RocksDB, no network)");
  report.Line();
  report.Line(
      "`CreateTask` from W concurrent writers, each waiting for its acknowledgement "
      "(closed loop), " +
      absl::FormatDuration(duration) +
      " per row. Every "
      "acknowledged write is in a synced WAL; a sync covers every batch queued "
      "behind it.");
  report.Line();
  report.Line(
      "| writers | WAL sync | writes/s | × 1 writer | p50 ms | p99 ms | WAL syncs per write |");
  report.Line("|---:|---|---:|---:|---:|---:|---:|");
  double single = 0;
  struct Row {
    int writers;
    bool sync;
  };
  for (Row row :
       {Row{1, true}, Row{4, true}, Row{16, true}, Row{64, true}, Row{1, false}, Row{16, false}}) {
    Env env(row.sync);
    env.CreateUnits();
    const Store::Stats before = env.store().stats();
    const Caller ctx = BenchCaller();
    LoadResult r = RunLoad(row.writers, duration, [&](int w, int64_t i) {
      v1::CreateTaskRequest req = Env::TaskRequest(i * 64 + w);
      v1::CreateTaskResponse resp;
      return Env::Await(
          [&](Core::Done done) { env.core().CreateTask(ctx, req, &resp, std::move(done)); });
    });
    const Store::Stats after = env.store().stats();
    if (row.writers == 1 && row.sync) single = r.ops_per_second;
    const double batches = static_cast<double>(after.batches - before.batches);
    report.Line(absl::StrFormat(
        "| %d | %s | %.0f | %s | %.2f | %.2f | %.3f |", row.writers, row.sync ? "on" : "off",
        r.ops_per_second, row.sync ? absl::StrFormat("%.1f", r.ops_per_second / single) : "—",
        Percentile(r.latencies, 0.5) / 1000, Percentile(r.latencies, 0.99) / 1000,
        batches == 0 ? 0.0 : static_cast<double>(after.syncs - before.syncs) / batches));
  }
  report.Line();
  report.Line(
      "WAL sync off is not a mode of d06d (acknowledged must mean durable); its rows "
      "show what the syncs cost.");
  report.Line();
}

// The median cost of the first and of the third page (page_size 100) of each query.
void ListCost(Report& report, bool quick, int64_t max_assignments) {
  // Database sizes in assignments: the commune's tasks, and tasks of two assignments each.
  std::vector<int64_t> sizes;
  for (int64_t size : quick ? std::vector<int64_t>{1000, 4000}
                            : std::vector<int64_t>{1000, 10000, 100000, 1000000}) {
    if (size <= max_assignments || sizes.empty()) sizes.push_back(size);
  }
  auto tasks_for = [](int64_t assignments) { return (assignments - kCommuneTasks) / 2; };
  const int repeats = quick ? 5 : 101;

  struct Query {
    std::string label;
    std::function<absl::Status(Env& env, const std::string& token, std::string* next, int* items)>
        run;
  };
  // Besides the unrestricted caller (authentication off), a viewer of the commune with
  // the list's policy, as the method table hands it to the core: its lists read the
  // ranges of its subtree only.
  static const v1::Policy kListPolicy = [] {
    v1::Policy policy;
    policy.set_role(v1::ROLE_VIEWER);
    policy.set_scope(v1::POLICY_SCOPE_BINDINGS);
    return policy;
  }();
  Caller viewer;
  viewer.actor = "principals/bench-viewer";
  {
    auto principal = std::make_shared<v1::Principal>();
    principal->set_name(viewer.actor);
    v1::RoleBinding* binding = principal->add_bindings();
    binding->set_role(v1::ROLE_VIEWER);
    binding->set_unit(absl::StrCat("units/", kCommune));
    viewer.principal = std::move(principal);
    viewer.policy = &kListPolicy;
  }
  auto tasks = [&](const std::string& filter, const std::string& query,
                   const Caller& caller = BenchCaller()) {
    return
        [filter, query, caller](Env& env, const std::string& token, std::string* next, int* items) {
          v1::ListTasksRequest req;
          req.set_page_size(100);
          req.set_page_token(token);
          req.set_filter(filter);
          req.set_query(query);
          v1::ListTasksResponse resp;
          absl::Status s = env.core().ListTasks(caller, req, &resp);
          *next = resp.next_page_token();
          *items = resp.tasks_size();
          return s;
        };
  };
  auto assignments = [&](const std::string& filter, const Caller& caller = BenchCaller()) {
    return [filter, caller](Env& env, const std::string& token, std::string* next, int* items) {
      v1::ListAssignmentsRequest req;
      req.set_parent("tasks/-");
      req.set_page_size(100);
      req.set_page_token(token);
      req.set_filter(filter);
      v1::ListAssignmentsResponse resp;
      absl::Status s = env.core().ListAssignments(caller, req, &resp);
      *next = resp.next_page_token();
      *items = resp.assignments_size();
      return s;
    };
  };
  const std::vector<Query> queries = {
      {"ListTasks, no filter", tasks("", "")},
      {"ListTasks `assigning_unit = \"units/H07\"`", tasks("assigning_unit = \"units/H07\"", "")},
      {"ListTasks `query = \"the bao hiem\"` (2% of tasks)", tasks("", "the bao hiem")},
      // One word ("theo") is in every task as typed, the others only once folded: each
      // page intersects the words' postings instead of reading every task with "theo".
      {"ListTasks `query = \"theo de an\"` (every task, folded match)", tasks("", "theo de an")},
      {"ListAssignments `unit = \"units/H07.03\"`", assignments("unit = \"units/H07.03\"")},
      {"ListAssignments `unit_tree = \"units/H07\"`", assignments("unit_tree = \"units/H07\"")},
      {"ListAssignments `state = IN_PROGRESS`", assignments("state = IN_PROGRESS")},
      {"ListAssignments `role = LEAD AND state = IN_PROGRESS`",
       assignments("role = LEAD AND state = IN_PROGRESS")},
      {"ListAssignments `timeliness = OVERDUE`", assignments("timeliness = OVERDUE")},
      {"ListAssignments `timeliness = DUE_SOON` (sparse)", assignments("timeliness = DUE_SOON")},
      {"ListAssignments `deadline >= 2026-10-01 AND deadline <= 2026-10-31`",
       assignments("deadline >= 2026-10-01 AND deadline <= 2026-10-31")},
      // A viewer of a commune with the same 150 tasks at every size: the scope is the
      // index range read (search: one more sorted list in the intersection).
      {"ListTasks as a viewer of the commune", tasks("", "", viewer)},
      {"ListAssignments as a viewer of the commune", assignments("", viewer)},
      {"ListTasks `query = \"theo de an\"` as a viewer of the commune",
       tasks("", "theo de an", viewer)},
  };

  // cost[query][size] = {first page µs, third page µs, items on the first page}
  struct Cost {
    double first = 0, third = 0;
    int items = 0;
  };
  // One database per size, each loaded from empty and measured once its memtables are
  // flushed and its compactions have finished: at rest, every size reads table files.
  std::vector<std::unique_ptr<Env>> envs;
  std::vector<std::string> build_notes;
  for (int64_t size : sizes) {
    const absl::Time t0 = absl::Now();
    auto env = std::make_unique<Env>();
    env->CreateUnits();
    env->AddCommuneTasks();
    env->AddTasks(0, tasks_for(size));
    Check(env->store().AwaitCompactions(/*flush=*/true), "await compactions");
    build_notes.push_back(
        absl::StrFormat("%d assignments (%d tasks): loaded in %.1f s, %.1f MB on disk", size,
                        tasks_for(size) + kCommuneTasks, absl::ToDoubleSeconds(absl::Now() - t0),
                        static_cast<double>(env->DiskBytes()) / 1e6));
    envs.push_back(std::move(env));
  }
  std::cerr << "d06_bench: databases loaded; measuring the lists" << std::endl;
  // The sizes take turns, run by run, so that whatever else the machine does weighs on
  // every size alike.
  std::vector<std::vector<Cost>> cost(queries.size(), std::vector<Cost>(sizes.size()));
  for (size_t q = 0; q < queries.size(); ++q) {
    std::vector<std::vector<double>> first(sizes.size()), third(sizes.size());
    for (int r = 0; r < repeats; ++r) {
      for (size_t i = 0; i < sizes.size(); ++i) {
        Env& env = *envs[i];
        Cost& c = cost[q][i];
        std::string token, next;
        absl::Time start = absl::Now();
        Check(queries[q].run(env, "", &next, &c.items), queries[q].label);
        first[i].push_back(Micros(absl::Now() - start));
        int items = 0;
        Check(queries[q].run(env, next, &token, &items), queries[q].label);
        if (token.empty()) continue;
        start = absl::Now();
        Check(queries[q].run(env, token, &next, &items), queries[q].label);
        third[i].push_back(Micros(absl::Now() - start));
      }
    }
    for (size_t i = 0; i < sizes.size(); ++i) {
      cost[q][i].first = Percentile(first[i], 0.5);
      cost[q][i].third = Percentile(third[i], 0.5);
    }
  }

  report.Line("## 2. A page costs the same at any size (Core over RocksDB, no network)");
  report.Line();
  report.Line(absl::StrFormat(
      "%d provinces × %d departments, and a commune of units/H07 with the same %d tasks "
      "(the commune leads each) at every size. Each other task has a lead and a supporting "
      "department; a quarter of the leads have started; deadlines spread over 2026; today is "
      "2026-07-01. Each size is a database of its own, loaded from empty and measured at "
      "rest (memtables flushed, compactions finished), the sizes taking turns run by run. "
      "Median of %d runs, page_size 100, microseconds for the first page (and the third, "
      "reached by page token); `items` is the first page's length. The last column divides "
      "the largest size's cost by that of the smallest size whose first page was full.",
      kProvinces, kDepartments, kCommuneTasks, repeats));
  report.Line();
  std::string header = "| query |";
  std::string rule = "|---|";
  for (int64_t size : sizes) {
    absl::StrAppend(&header, " ", size, " assignments: µs first (third), items |");
    absl::StrAppend(&rule, "---:|");
  }
  absl::StrAppend(&header, " largest ÷ smallest full (first page) |");
  absl::StrAppend(&rule, "---:|");
  report.Line(header);
  report.Line(rule);
  for (size_t q = 0; q < queries.size(); ++q) {
    std::string line = absl::StrCat("| ", queries[q].label, " |");
    for (const Cost& c : cost[q]) {
      absl::StrAppend(
          &line, absl::StrFormat(" %.0f (%s), %d |", c.first,
                                 c.third == 0 ? "—" : absl::StrFormat("%.0f", c.third), c.items));
    }
    // Against the smallest size whose first page was full: a short page is cheaper for
    // having less to return, not for the database being smaller.
    const Cost* full = &cost[q].back();
    for (const Cost& c : cost[q]) {
      if (c.items == 100) {
        full = &c;
        break;
      }
    }
    absl::StrAppend(&line, absl::StrFormat(" %.2f |", cost[q].back().first / full->first));
    report.Line(line);
  }
  report.Line();
  for (const std::string& note : build_notes) report.Line("- " + note);
  report.Line();

  // Reorganisation: MoveUnit on the largest database, after the lists (it changes it).
  // One atomic write on the writer thread: its duration is the writer's pause.
  Env& largest = *envs.back();
  report.Line("### Moving units (MoveUnit) on the largest database");
  report.Line();
  report.Line(
      "Each move is one atomic write on the writer thread, effective 30 days ago (so the "
      "report counters of 30 days move too): its time is how long other writes wait.");
  report.Line();
  report.Line("| move | units | assignments | ms |");
  report.Line("|---|---:|---:|---:|");
  const v1::Date effective = ToDate(absl::ToCivilDay(Today(), VietnamTimeZone()) - 30);
  for (const auto& [unit, parent] :
       {std::pair(Department(0, 0), Province(1)), std::pair(Province(2), Province(3))}) {
    v1::MoveUnitRequest req;
    req.set_name(absl::StrCat("units/", unit));
    req.set_new_parent(absl::StrCat("units/", parent));
    *req.mutable_effective_date() = effective;
    v1::MoveUnitResponse resp;
    const absl::Time start = absl::Now();
    Check(Env::Await([&](Core::Done done) {
            largest.core().MoveUnit(BenchCaller(), req, &resp, std::move(done));
          }),
          "MoveUnit");
    report.Line(absl::StrFormat("| %s below %s | %d | %d | %.0f |", unit, parent,
                                resp.moved_units(), resp.moved_assignments(),
                                absl::ToDoubleMilliseconds(absl::Now() - start)));
  }
  report.Line();

  // A province merged into another: its departments move, and it gives up its tasks.
  // Reads go on meanwhile (a page of the merged province's tasks, from a snapshot).
  report.Line("### Merging a province (MergeUnits) on the largest database");
  report.Line();
  const std::string merged = Province(4), successor = Province(5);
  auto page = [&] {
    v1::ListTasksRequest req;
    req.set_page_size(100);
    req.set_filter(absl::StrCat("assigning_unit = \"units/", merged, "\""));
    v1::ListTasksResponse resp;
    return largest.core().ListTasks(BenchCaller(), req, &resp);
  };
  auto read_until = [&](const std::atomic<bool>& stop, std::vector<double>* latencies) {
    while (!stop.load()) {
      const absl::Time t0 = absl::Now();
      Check(page(), "ListTasks during the merge");
      latencies->push_back(Micros(absl::Now() - t0));
    }
  };
  std::vector<double> idle, during;
  {
    std::atomic<bool> stop{false};
    std::thread reader([&] { read_until(stop, &idle); });
    absl::SleepFor(absl::Seconds(quick ? 0.2 : 2));
    stop = true;
    reader.join();
  }
  v1::MergeUnitsRequest merge;
  merge.add_names(absl::StrCat("units/", merged));
  merge.set_successor(absl::StrCat("units/", successor));
  *merge.mutable_effective_date() = effective;
  merge.set_reason("benchmark");
  v1::MergeUnitsResponse merge_resp;
  absl::Duration merge_time;
  {
    std::atomic<bool> stop{false};
    std::thread reader([&] { read_until(stop, &during); });
    const absl::Time start = absl::Now();
    Check(Env::Await([&](Core::Done done) {
            largest.core().MergeUnits(BenchCaller(), merge, &merge_resp, std::move(done));
          }),
          "MergeUnits");
    merge_time = absl::Now() - start;
    stop = true;
    reader.join();
  }
  const v1::ReorganizationResult& result = merge_resp.result();
  report.Line(absl::StrFormat(
      "%s merged into %s, effective 30 days ago: %d departments moved with %d assignments, "
      "%d tasks given to the successor, %d open assignments of its own continued there. One "
      "atomic write on the writer thread: **%.0f ms**, the pause of every other write. "
      "Reads are not paused: a page of its tasks took p50 %.2f ms, p99 %.2f ms during the "
      "merge (%d pages), against p50 %.2f ms, p99 %.2f ms just before.",
      merged, successor, result.moved_units(), result.moved_assignments(),
      result.reassigned_tasks(), result.transferred_assignments(),
      absl::ToDoubleMilliseconds(merge_time), Percentile(during, 0.5) / 1000,
      Percentile(during, 0.99) / 1000, static_cast<int>(during.size()),
      Percentile(idle, 0.5) / 1000, Percentile(idle, 0.99) / 1000));
  report.Line();
}

// A server for the end-to-end rows: authentication off (the actor named in x-d06-actor)
// or on (a coordinator of the province, with its bearer token, every call authorised at
// the task's units), with its client and the name of an assignment to read.
class EndToEndServer {
 public:
  EndToEndServer(bool auth, FakeClock* clock) : dir_("d06-bench-grpc"), clock_(clock) {
    ServerOptions options;
    options.auth = auth ? AuthMode::kRequired : AuthMode::kOff;
    // The limiter counts every call, but its budgets must not be what is measured.
    options.rate_limits = "coordinator=1000000/1000000:1000000/1000000";
    options.listen_address = "127.0.0.1:0";
    options.http_listen_address = "";  // gRPC only
    options.data_dir = dir_.path();
    options.clock = clock;
    if (auth) {
      auto token = BootstrapAdmin(options, "admin", "Quản trị viên", false);
      Check(token.status(), "bootstrap-admin");
      options_.token = *token;
    }
    auto server = Server::Start(options);
    Check(server.status(), "start server");
    server_ = *std::move(server);
    options_.target = absl::StrCat("127.0.0.1:", server_->port());
    options_.actor = "bench";
    auto admin = Client::Connect(options_);
    Check(admin.status(), "connect");
    admin_ = *std::move(admin);
    v1::CreateUnitRequest req;
    req.mutable_unit()->set_code(Province(0));
    req.mutable_unit()->set_display_name("UBND tỉnh");
    req.mutable_unit()->set_kind(v1::UNIT_KIND_PROVINCE);
    Check(admin_->CreateUnit(req).status(), "create unit");
    for (int d = 0; d < 3; ++d) {
      req.mutable_unit()->set_code(Department(0, d));
      req.mutable_unit()->set_display_name(absl::StrCat("Sở ", d + 1));
      req.mutable_unit()->set_kind(v1::UNIT_KIND_DEPARTMENT);
      req.mutable_unit()->set_parent(absl::StrCat("units/", Province(0)));
      Check(admin_->CreateUnit(req).status(), "create department");
    }
    client_ = auth ? Connect(Person("dieu-phoi", "Điều phối tỉnh", v1::ROLE_COORDINATOR), -1)
                   : std::move(admin_);
  }
  ~EndToEndServer() {
    client_.reset();
    admin_.reset();
    server_->Shutdown();
  }

  // A person of the province with `role` there, made by the admin; its token's secret.
  std::string Person(const std::string& id, const std::string& display_name, v1::Role role) {
    v1::CreatePrincipalRequest req;
    req.set_principal_id(id);
    req.mutable_principal()->set_display_name(display_name);
    req.mutable_principal()->set_kind(v1::PRINCIPAL_KIND_PERSON);
    req.mutable_principal()->set_unit(absl::StrCat("units/", Province(0)));
    v1::RoleBinding* binding = req.mutable_principal()->add_bindings();
    binding->set_role(role);
    binding->set_unit(absl::StrCat("units/", Province(0)));
    Check(admin_->CreatePrincipal(req).status(), "create principal " + id);
    v1::CreateTokenRequest token;
    token.set_parent("principals/" + id);
    token.mutable_token()->set_display_name("bench");
    *token.mutable_token()->mutable_expire_time() = ToTimestamp(clock_->Now() + absl::Hours(24));
    auto created = admin_->CreateToken(token);
    Check(created.status(), "create token of " + id);
    return created->secret();
  }
  // A client with `token`; `max_retries` < 0 keeps the default.
  std::unique_ptr<Client> Connect(const std::string& token, int max_retries) const {
    ClientOptions options = options_;
    options.token = token;
    if (max_retries >= 0) options.max_retries = max_retries;
    auto client = Client::Connect(options);
    Check(client.status(), "connect with a token");
    return *std::move(client);
  }

  // CreateTask with a lead and two supporting departments; `i` numbers the task.
  absl::Status CreateTask(int64_t i) {
    v1::CreateTaskRequest req = Env::TaskRequest(i);
    req.mutable_task()->set_assigning_unit(absl::StrCat("units/", Province(0)));
    for (int d = 0; d < 3; ++d) {
      v1::Assignment* a = req.add_assignments();
      a->set_unit(absl::StrCat("units/", Department(0, d)));
      a->set_role(d == 0 ? v1::ASSIGNMENT_ROLE_LEAD : v1::ASSIGNMENT_ROLE_SUPPORT);
    }
    auto got = client_->CreateTask(req);
    if (got.ok() && read_name_.empty()) {
      absl::MutexLock lock(&mu_);
      if (read_name_.empty()) read_name_ = got->assignments(0).name();
    }
    return got.status();
  }
  // GetAssignment of the first assignment CreateTask made, by `client` (the server's own
  // client when null).
  absl::Status GetAssignment(Client* client = nullptr) {
    v1::GetAssignmentRequest req;
    {
      absl::MutexLock lock(&mu_);
      req.set_name(read_name_);
    }
    return (client ? client : client_.get())->GetAssignment(req).status();
  }

 private:
  testing::TempDir dir_;
  FakeClock* const clock_;
  ClientOptions options_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<Client> admin_;
  std::unique_ptr<Client> client_;
  absl::Mutex mu_;
  std::string read_name_ ABSL_GUARDED_BY(mu_);
};

// `total` with `part` added: calls and latencies summed, the rate over both lengths.
void Accumulate(const LoadResult& part, absl::Duration length, LoadResult* total,
                absl::Duration* total_length) {
  const double calls = total->ops_per_second * absl::ToDoubleSeconds(*total_length) +
                       part.ops_per_second * absl::ToDoubleSeconds(length);
  *total_length += length;
  total->ops_per_second = calls / absl::ToDoubleSeconds(*total_length);
  total->latencies.insert(total->latencies.end(), part.latencies.begin(), part.latencies.end());
}

void EndToEnd(Report& report, bool quick) {
  // Both servers run at once and take turns in short slices, so that whatever else the
  // machine does in the meantime weighs on both sides of each ratio alike.
  const int kRounds = quick ? 1 : 6;
  const absl::Duration slice = quick ? absl::Milliseconds(100) : absl::Milliseconds(500);
  FakeClock clock(Today());
  EndToEndServer off(false, &clock), on(true, &clock);
  struct Row {
    std::string call;
    int threads;
    std::function<absl::Status(EndToEndServer&, int64_t)> op;
    LoadResult off, on;
  };
  std::atomic<int64_t> next_task{0};
  auto create = [&](EndToEndServer& s, int64_t) { return s.CreateTask(next_task.fetch_add(1)); };
  auto get = [](EndToEndServer& s, int64_t) { return s.GetAssignment(); };
  std::vector<Row> rows = {{"CreateTask, 3 assignments", 1, create, {}, {}},
                           {"CreateTask, 3 assignments", 16, create, {}, {}},
                           {"GetAssignment", 1, get, {}, {}},
                           {"GetAssignment", 16, get, {}, {}}};
  for (Row& row : rows) {
    absl::Duration off_length, on_length;
    for (int round = 0; round < kRounds; ++round) {
      for (EndToEndServer* s : {&off, &on}) {
        const absl::Time start = absl::Now();
        LoadResult part =
            RunLoad(row.threads, slice, [&](int, int64_t i) { return row.op(*s, i); });
        const absl::Duration length = absl::Now() - start;
        if (s == &off) {
          Accumulate(part, length, &row.off, &off_length);
        } else {
          Accumulate(part, length, &row.on, &on_length);
        }
      }
    }
  }
  // One principal floods (a viewer over its read budget, 16 threads without pause, not
  // waiting out RATE_LIMITED) while the coordinator reads as before: its p99 beside the
  // idle one.
  LoadResult flooded;
  std::string flood_counts;
  {
    std::unique_ptr<Client> flooder = on.Connect(on.Person("xem", "Người xem", v1::ROLE_VIEWER), 0);
    std::atomic<bool> stop{false};
    std::atomic<int64_t> refused{0}, served{0};
    std::vector<std::thread> flood;
    for (int t = 0; t < 16; ++t) {
      flood.emplace_back([&] {
        while (!stop.load()) {
          (on.GetAssignment(flooder.get()).ok() ? served : refused).fetch_add(1);
        }
      });
    }
    const absl::Duration duration = slice * kRounds;
    flooded = RunLoad(1, duration, [&](int, int64_t) { return on.GetAssignment(); });
    stop = true;
    for (std::thread& t : flood) t.join();
    flood_counts =
        absl::StrFormat("16 threads: %.0f served, %.0f refused a second",
                        static_cast<double>(served.load()) / absl::ToDoubleSeconds(duration),
                        static_cast<double>(refused.load()) / absl::ToDoubleSeconds(duration));
  }

  report.Line("## 3. End to end: gRPC over loopback with d06::Client");
  report.Line();
  report.Line(absl::StrCat(
      "`CreateTask` with three assignments (closed loop, one channel shared by W threads), "
      "then `GetAssignment` of a created one. Two servers run side by side: authentication "
      "off (d06d --auth=off, the actor named by the client), and on (a coordinator of the "
      "province with its bearer token, every call authenticated and authorised at the "
      "task's units; the bindings walk the unit tree). They take turns: ",
      kRounds, " rounds of ", absl::FormatDuration(slice),
      " each per row, so that the rest of the machine weighs on both alike."));
  report.Line();
  report.Line(
      "| call | threads | off: calls/s | off: p50 ms | off: p99 ms | on: calls/s | on: p50 ms | "
      "on: p99 ms | on ÷ off (calls/s) |");
  report.Line("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const Row& row : rows) {
    const LoadResult& a = row.off;
    const LoadResult& b = row.on;
    report.Line(absl::StrFormat(
        "| %s | %d | %.0f | %.2f | %.2f | %.0f | %.2f | %.2f | %.2f |", row.call, row.threads,
        a.ops_per_second, Percentile(a.latencies, 0.5) / 1000, Percentile(a.latencies, 0.99) / 1000,
        b.ops_per_second, Percentile(b.latencies, 0.5) / 1000, Percentile(b.latencies, 0.99) / 1000,
        a.ops_per_second > 0 ? b.ops_per_second / a.ops_per_second : 0));
  }
  report.Line();
  const LoadResult& idle = rows[2].on;  // GetAssignment, 1 thread, authentication on
  report.Line(absl::StrFormat(
      "GetAssignment while another principal floods (%s): p50 %.2f ms, p99 %.2f ms; idle p99 "
      "%.2f ms; p99 flooded ÷ idle %.2f.",
      flood_counts, Percentile(flooded.latencies, 0.5) / 1000,
      Percentile(flooded.latencies, 0.99) / 1000, Percentile(idle.latencies, 0.99) / 1000,
      Percentile(flooded.latencies, 0.99) / std::max(1.0, Percentile(idle.latencies, 0.99))));
  report.Line();
}

int Main(int argc, char** argv) {
  InitFlagsUsage(__FILE__,
                 "measures d06's write and list costs; see tests/bench/bench.cc.\n"
                 "Usage: d06_bench [--quick] [--out=FILE] [--max_assignments=N] [--only=SECTION]");
  absl::ParseCommandLine(argc, argv);
  // As d06d does (server/d06d/main.cc): no lock-order checking on every Mutex.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const bool quick = absl::GetFlag(FLAGS_quick);
  Report report;
  report.Line("# d06 benchmark results");
  report.Line();
  report.Line(absl::StrFormat(
      "Written by `scripts/bench.sh` (`d06_bench`, tests/bench/bench.cc) on %s, %u cores%s. "
      "Compare ratios within one run, not absolute numbers across machines.",
      absl::FormatTime("%Y-%m-%d", absl::Now(), absl::LocalTimeZone()),
      std::thread::hardware_concurrency(), quick ? " (--quick: smoke run)" : ""));
  report.Line();
  const std::string only = absl::GetFlag(FLAGS_only);
  if (only.empty() || only == "group_commit") GroupCommit(report, quick);
  if (only.empty() || only == "lists")
    ListCost(report, quick, absl::GetFlag(FLAGS_max_assignments));
  if (only.empty() || only == "end_to_end") EndToEnd(report, quick);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  report.Line(absl::StrFormat("Peak resident memory of the benchmark process: %.0f MB.",
                              static_cast<double>(usage.ru_maxrss) / 1024));
  const std::string out = absl::GetFlag(FLAGS_out);
  if (!out.empty()) {
    std::ofstream file(out);
    file << report.text();
    if (!file.good()) {
      std::cerr << "d06_bench: cannot write " << out << "\n";
      return 1;
    }
  }
  return 0;
}

}  // namespace
}  // namespace d06::bench

int main(int argc, char** argv) { return d06::bench::Main(argc, argv); }
