// d06_loadgen: a closed-loop gRPC load generator for side-by-side benchmarks (issue 8):
// the empty call, d06's writes and reads, and etcd's Put, measured the same way.
//
//   d06_loadgen --target=127.0.0.1:50051 --scenario=create_task_assigned --inflight=64
//               --warmup=1s --duration=5s
//
// Every request is sent through grpc::GenericStub on the CompletionQueue API with bytes
// this program encodes itself (d06's generated messages; etcd's PutRequest by hand, so no
// etcd .proto is needed). `--inflight` requests are kept outstanding at all times: each
// slot sends its next request as soon as its previous one completes (closed loop). The
// slots are spread over `--threads` threads, each polling its own completion queue, and
// `--channels` connections. Like h2load, calls carry no deadline unless --deadline is set
// (a deadline costs a timer on both sides); gRPC's transparent retries are off (a retried
// call would hide a failure). Calls still in flight --timeout after the window are
// cancelled, which fails the run: every run is bounded.
//
// Output: one JSON line on stdout with throughput (calls completed in the measured window
// over its length), latency percentiles in milliseconds (from a log-linear histogram,
// within 1.6%), and a count per gRPC status code over every call of the run (warm-up and
// the drain included). Exit status 1 when any status other than `--expect` occurred (a run
// with an unexpected status is not a result) or the setup failed; 2 for bad flags.
//
// --victim=SCENARIO (issue 17, fairness) runs a second, cheap load at the same time and over
// the same window: --victim_inflight requests on a connection and a client thread of its
// own, reported as "victim" in the JSON line. It shows what the main load (the attacker, a
// flood of expensive reads) does to another client's cheap reads. The attacker may be
// refused (--expect=OK,RESOURCE_EXHAUSTED: admission control); the victim may not: any
// status but OK of the victim fails the run.
//
// Scenarios (their setup is idempotent, so several may run against one server):
//   empty                 grpc.health.v1.Health/Check, the empty call.
//   ceiling               /d06.bench.Pipeline/Write (d06d --benchmark_pipeline): one small
//                         key through d06's writer, group commit and WAL sync, no d06
//                         logic: the ceiling of every write.
//   create_task           TaskService/CreateTask, ~365 bytes, no assignments.
//   create_task_assigned  CreateTask with one LEAD and two SUPPORT assignments.
//   transitions           per slot, assignments created beforehand (--transition_pool)
//                         walked start -> report progress -> submit -> approve, each call
//                         one op; with the etag of the previous answer (--etag).
//   get_task, get_assignment
//                         reads of --read_pool tasks (and their assignments) created in
//                         the setup.
//   get_unit              UnitService/GetUnit of the province H98 and its departments in
//                         turn: the cheapest d06 read, the victim of the fairness runs.
//   list_page             ListAssignments of one unit with a state filter, --page_size 100;
//                         --preload_assignments=N first creates N assignments (tasks of
//                         three, the listed unit leading each; every 4th lead started).
//   summary               ReportService/GetSummary of the province H98 by department
//                         (today's province summary); preloads as list_page does.
//   etcd_put              etcdserverpb.KV/Put of a 300-byte value under a new key.
//   wait_serving          polls grpc.health.v1.Health/Check until SERVING (start-up time:
//                         prints the wall clock at which it was first SERVING).
// Every d06 scenario first makes sure of the province H98 and departments H98.01..H98.99.
// --dump_request=FILE writes a scenario's first request, gRPC-framed, for h2load's -d.
#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/completion_queue.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/channel_arguments.h>
#include <grpcpp/support/status.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "common/flags_usage.h"
#include "d06/v1/watch.grpc.pb.h"
#include "tests/testing/plan_subjects.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "server address host:port (loopback)");
ABSL_FLAG(
    std::string, scenario, "empty",
    "empty, ceiling, create_task, create_task_assigned, transitions, get_task, get_assignment, "
    "get_unit, list_page, summary, etcd_put or wait_serving");
ABSL_FLAG(int, inflight, 1, "requests kept in flight (closed loop)");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1), "load before the measured window");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(5), "the measured window");
ABSL_FLAG(absl::Duration, deadline, absl::ZeroDuration(),
          "deadline sent with each measured call (0: none, as h2load; the setup's calls "
          "always have one)");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(10),
          "how long calls still in flight after the window may take before they are "
          "cancelled (and the run fails); wait_serving: how long to wait for SERVING");
ABSL_FLAG(int, threads, 1, "client threads, each polling its own completion queue");
ABSL_FLAG(int, channels, 1, "client connections (each its own TCP connection)");
ABSL_FLAG(std::string, actor, "loadgen", "x-d06-actor of d06 calls (empty: none)");
ABSL_FLAG(std::string, token_file, "",
          "a file holding a d06 token: d06 calls carry it (authorization: Bearer) instead of "
          "--actor, for a server with --auth=required");
ABSL_FLAG(std::string, expect, "OK",
          "comma-separated gRPC status codes the scenario may return (others fail the run)");
ABSL_FLAG(bool, setup_only, false, "run the scenario's setup (units, pools, preload) only");
ABSL_FLAG(int64_t, preload_assignments, 0,
          "list_page: first create this many assignments (tasks of 3; 0: none)");
ABSL_FLAG(int, preload_inflight, 64, "requests in flight while setting up and preloading");
ABSL_FLAG(int, page_size, 100, "list_page: the page size asked for (the server allows 1..1000)");
ABSL_FLAG(std::string, victim, "",
          "a cheap load run alongside the scenario over the same window, on its own "
          "connection: empty, get_unit, get_task or get_assignment (empty flag: none); any "
          "status but OK of it fails the run");
ABSL_FLAG(int, victim_inflight, 1, "--victim: its requests in flight");
ABSL_FLAG(int, read_pool, 64, "get_task/get_assignment: tasks (of 3 assignments) read");
ABSL_FLAG(int, transition_pool, 0,
          "transitions: assignments created before the run (0: enough for about 20,000 "
          "transitions/s, at most 40,000); a slot that runs out creates more, which is "
          "reported as refills");
ABSL_FLAG(bool, etag, true, "transitions: send the etag of the previous answer");
ABSL_FLAG(int, server_pid, 0,
          "the server's pid on this machine: report the CPU it used during the load");
ABSL_FLAG(int, idle_watchers, 0,
          "change-feed watchers open during the measured window whose filter matches nothing");
ABSL_FLAG(int, slow_watchers, 0,
          "change-feed watchers of every event that take at most --slow_watcher_rate events a "
          "second (slower than the writes make them), resuming when the server cuts them off");
ABSL_FLAG(int, slow_watcher_rate, 500, "events a second a slow watcher takes");
ABSL_FLAG(std::string, dump_request, "",
          "write the scenario's first request to this file, gRPC-framed (a 5-byte prefix), "
          "and exit: a body for h2load -d");

namespace d06::loadgen {
namespace {

using Clock = std::chrono::steady_clock;

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

constexpr std::array<const char*, 17> kCodeNames = {
    "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};

std::string CodeName(int code) {
  if (code >= 0 && code < static_cast<int>(kCodeNames.size())) return kCodeNames[code];
  return absl::StrCat("CODE_", code);
}

// ---- latency histogram --------------------------------------------------------------

// Log-linear buckets over nanoseconds: exact below 128 ns, then 64 buckets per power of
// two (a bucket is at most 1/64 of its value wide). The maximum is kept exactly.
class Histogram {
 public:
  Histogram() : counts_(kBuckets, 0) {}

  void Record(int64_t nanos) {
    const uint64_t v = nanos < 0 ? 0 : static_cast<uint64_t>(nanos);
    ++counts_[Index(v)];
    ++count_;
    sum_ += static_cast<double>(v);
    max_ = std::max(max_, v);
  }
  void Merge(const Histogram& other) {
    for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    sum_ += other.sum_;
    max_ = std::max(max_, other.max_);
  }
  int64_t count() const { return count_; }
  double MeanMillis() const { return count_ == 0 ? 0 : sum_ / static_cast<double>(count_) / 1e6; }
  double MaxMillis() const { return static_cast<double>(max_) / 1e6; }
  // The value below which a fraction q of the samples fall (the bucket's midpoint).
  double PercentileMillis(double q) const {
    if (count_ == 0) return 0;
    const int64_t rank =
        std::max<int64_t>(1, static_cast<int64_t>(std::ceil(q * static_cast<double>(count_))));
    int64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) {
        const double mid = (Lower(i) + Lower(i + 1)) / 2.0;
        return std::min(mid, static_cast<double>(max_)) / 1e6;
      }
    }
    return MaxMillis();
  }

 private:
  static constexpr size_t kBuckets = 128 + 57 * 64;
  static size_t Index(uint64_t v) {
    if (v < 128) return static_cast<size_t>(v);
    const int msb = 63 - __builtin_clzll(v);  // >= 7
    const int shift = msb - 6;                // v >> shift in [64, 128)
    const size_t i = 128 + static_cast<size_t>(shift - 1) * 64 + ((v >> shift) - 64);
    return std::min(i, kBuckets - 1);
  }
  static double Lower(size_t i) {
    if (i < 128) return static_cast<double>(i);
    const size_t shift = (i - 128) / 64 + 1;
    return std::ldexp(static_cast<double>((i - 128) % 64 + 64), static_cast<int>(shift));
  }
  std::vector<int64_t> counts_;
  int64_t count_ = 0;
  double sum_ = 0;
  uint64_t max_ = 0;
};

// ---- bytes ------------------------------------------------------------------------

grpc::ByteBuffer ToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

grpc::ByteBuffer ToBuffer(const google::protobuf::Message& message) {
  return ToBuffer(message.SerializeAsString());
}

std::string ToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& s : slices)
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

template <typename Message>
bool Parse(const grpc::ByteBuffer& buffer, Message* message) {
  return message->ParseFromString(ToString(buffer));
}

void AppendVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// A length-delimited protobuf field (wire type 2).
void AppendBytesField(std::string* out, int field, const std::string& bytes) {
  AppendVarint(out, static_cast<uint64_t>(field) << 3 | 2);
  AppendVarint(out, bytes.size());
  out->append(bytes);
}

// ---- the call engine ----------------------------------------------------------------

// One request of a slot. `measured` calls count towards throughput and latency; the
// others (a slot refilling its pool) only towards the status counts.
struct Call {
  const std::string* method = nullptr;
  grpc::ByteBuffer body;
  bool measured = true;
  bool with_actor = true;
  int kind = 0;  // the scenario's own tag
};

// What a scenario sends. A slot is never used by two threads at once, so per-slot state
// needs no lock.
class Generator {
 public:
  virtual ~Generator() = default;
  // Fills the slot's next call; false when the slot has nothing more to send.
  virtual bool Next(int slot, Call* call) = 0;
  // The slot's call completed.
  virtual void Done(int slot, const Call& call, const grpc::Status& status,
                    const grpc::ByteBuffer& response) {}
};

struct LoadOptions {
  int inflight = 1;
  int threads = 1;
  // Count mode (a preload): no time limit, runs until every slot's Next() says no.
  bool until_done = false;
  absl::Duration warmup = absl::ZeroDuration();
  absl::Duration duration = absl::Seconds(1);
  // Sent with each call; zero: none.
  absl::Duration deadline = absl::ZeroDuration();
  // Calls still in flight this long after the window are cancelled (time mode).
  absl::Duration drain_timeout = absl::Seconds(10);
  std::string actor;
  // "Bearer <token>" (--token_file): sent instead of the actor.
  std::string authorization;
};

struct LoadStats {
  Histogram latency;
  int64_t measured_calls = 0;
  // Of the measured calls, those answered OK: a refused call (admission control) returns
  // at once, so a flood's useful throughput is this one.
  int64_t measured_ok = 0;
  int64_t unmeasured_calls = 0;
  double window_seconds = 0;
  std::map<int, int64_t> codes;
  std::map<int, std::string> first_message;
  double client_cpu_seconds = 0;
};

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// User + system CPU seconds of process `pid` (0: none) from /proc; -1 when unreadable.
double ProcessCpuSeconds(int pid) {
  if (pid <= 0) return -1;
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = stat.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return -1;
  std::vector<std::string> fields = absl::StrSplit(stat.substr(close + 2), ' ');
  // After the name: state is field 3 of the file, utime 14 and stime 15.
  if (fields.size() < 13) return -1;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return (std::stod(fields[11]) + std::stod(fields[12])) / ticks;
}

// CPU seconds the whole machine has spent busy (every CPU, /proc/stat); -1 if unreadable.
double MachineBusySeconds() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  if (!(in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal) ||
      cpu != "cpu") {
    return -1;
  }
  return (user + nice + system + irq + softirq + steal) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::vector<std::shared_ptr<grpc::Channel>> MakeChannels(const std::string& target, int n) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < n; ++i) {
    grpc::ChannelArguments args;
    // Own subchannel per channel: one TCP connection each.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("d06.loadgen.channel", i);
    args.SetMaxReceiveMessageSize(64 << 20);
    // A retried call would hide a failure, and the retry filter costs CPU on every call.
    args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
    channels.push_back(grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
  }
  return channels;
}

// Runs `generator` over `channels` with options.inflight slots; closed loop.
LoadStats RunLoad(const std::vector<std::shared_ptr<grpc::Channel>>& channels, Generator& generator,
                  const LoadOptions& options) {
  struct Slot {
    int index = 0;
    grpc::GenericStub* stub = nullptr;
    Call call;
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<grpc::GenericClientAsyncResponseReader> rpc;
    grpc::ByteBuffer response;
    grpc::Status status;
    int64_t start = 0;
  };
  struct Worker {
    grpc::CompletionQueue cq;
    std::vector<Slot*> slots;
    LoadStats stats;
    // Guards the slots' contexts against the watchdog's TryCancel.
    std::mutex contexts;
  };
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs;
  for (const auto& channel : channels)
    stubs.push_back(std::make_unique<grpc::GenericStub>(channel));
  const int threads = std::max(1, std::min(options.threads, options.inflight));
  std::vector<std::unique_ptr<Slot>> slots;
  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < threads; ++t) workers.push_back(std::make_unique<Worker>());
  for (int s = 0; s < options.inflight; ++s) {
    auto slot = std::make_unique<Slot>();
    slot->index = s;
    slot->stub = stubs[static_cast<size_t>(s) % stubs.size()].get();
    workers[static_cast<size_t>(s % threads)]->slots.push_back(slot.get());
    slots.push_back(std::move(slot));
  }

  const int64_t begin = NowNanos();
  const int64_t measure_from = begin + absl::ToInt64Nanoseconds(options.warmup);
  const int64_t measure_to =
      options.until_done ? INT64_MAX : measure_from + absl::ToInt64Nanoseconds(options.duration);
  const double cpu_before = CpuSeconds();

  auto issue = [&](Worker& w, Slot* s) -> bool {
    s->call = Call();
    if (!generator.Next(s->index, &s->call)) return false;
    auto context = std::make_unique<grpc::ClientContext>();
    if (options.deadline > absl::ZeroDuration()) {
      context->set_deadline(std::chrono::system_clock::now() +
                            absl::ToChronoNanoseconds(options.deadline));
    }
    {
      std::lock_guard<std::mutex> lock(w.contexts);
      s->context = std::move(context);
    }
    if (s->call.with_actor && !options.authorization.empty()) {
      s->context->AddMetadata(std::string(v1::kAuthorizationMetadataKey), options.authorization);
    } else if (s->call.with_actor && !options.actor.empty()) {
      s->context->AddMetadata(std::string(v1::kActorMetadataKey), options.actor);
    }
    s->response.Clear();
    s->start = NowNanos();
    s->rpc = s->stub->PrepareUnaryCall(s->context.get(), *s->call.method, s->call.body, &w.cq);
    s->rpc->StartCall();
    s->rpc->Finish(&s->response, &s->status, s);
    return true;
  };

  auto run = [&](Worker& w) {
    int outstanding = 0;
    for (Slot* s : w.slots) outstanding += issue(w, s) ? 1 : 0;
    void* tag = nullptr;
    bool ok = false;
    while (outstanding > 0 && w.cq.Next(&tag, &ok)) {
      Slot* s = static_cast<Slot*>(tag);
      const int64_t end = NowNanos();
      const int code = static_cast<int>(s->status.error_code());
      if (++w.stats.codes[code] == 1 && code != 0) {
        w.stats.first_message[code] = s->status.error_message();
      }
      if (s->call.measured && end >= measure_from && end <= measure_to) {
        w.stats.latency.Record(end - s->start);
        ++w.stats.measured_calls;
        if (code == 0) ++w.stats.measured_ok;
      } else if (!s->call.measured) {
        ++w.stats.unmeasured_calls;
      }
      generator.Done(s->index, s->call, s->status, s->response);
      s->rpc.reset();
      {
        std::lock_guard<std::mutex> lock(w.contexts);
        s->context.reset();
      }
      if (end >= measure_to || !issue(w, s)) --outstanding;
    }
    w.cq.Shutdown();
    while (w.cq.Next(&tag, &ok)) {
    }
  };

  std::atomic<int> running{static_cast<int>(workers.size())};
  std::vector<std::thread> pool;
  for (auto& w : workers) {
    pool.emplace_back([&run, &running, &w] {
      run(*w);
      running.fetch_sub(1);
    });
  }
  if (!options.until_done) {
    // The watchdog: calls still in flight drain_timeout after the window are cancelled
    // (they count as CANCELLED, which fails the run).
    const int64_t give_up = measure_to + absl::ToInt64Nanoseconds(options.drain_timeout);
    while (running.load() > 0 && NowNanos() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (running.load() > 0) {
      std::cerr << "d06_loadgen: calls still in flight " << options.drain_timeout
                << " after the window; cancelling them\n";
      for (auto& w : workers) {
        std::lock_guard<std::mutex> lock(w->contexts);
        for (Slot* s : w->slots) {
          if (s->context != nullptr) s->context->TryCancel();
        }
      }
    }
  }
  for (auto& t : pool) t.join();

  LoadStats total;
  for (auto& w : workers) {
    total.latency.Merge(w->stats.latency);
    total.measured_calls += w->stats.measured_calls;
    total.measured_ok += w->stats.measured_ok;
    total.unmeasured_calls += w->stats.unmeasured_calls;
    for (const auto& [code, n] : w->stats.codes) total.codes[code] += n;
    for (const auto& [code, m] : w->stats.first_message) total.first_message.emplace(code, m);
  }
  total.window_seconds = options.until_done ? static_cast<double>(NowNanos() - begin) / 1e9
                                            : absl::ToDoubleSeconds(options.duration);
  total.client_cpu_seconds = CpuSeconds() - cpu_before;
  return total;
}

// ---- the d06 data set -----------------------------------------------------------------

const std::string kHealthCheck = "/grpc.health.v1.Health/Check";
const std::string kPipelineWrite = "/d06.bench.Pipeline/Write";
const std::string kCreateTask = "/d06.v1.TaskService/CreateTask";
const std::string kGetTask = "/d06.v1.TaskService/GetTask";
const std::string kGetAssignment = "/d06.v1.TaskService/GetAssignment";
const std::string kGetUnit = "/d06.v1.UnitService/GetUnit";
const std::string kListAssignments = "/d06.v1.TaskService/ListAssignments";
const std::string kGetSummary = "/d06.v1.ReportService/GetSummary";
const std::string kStart = "/d06.v1.TaskService/StartAssignment";
const std::string kProgress = "/d06.v1.TaskService/ReportAssignmentProgress";
const std::string kSubmit = "/d06.v1.TaskService/SubmitAssignment";
const std::string kApprove = "/d06.v1.TaskService/ApproveAssignment";
const std::string kEtcdPut = "/etcdserverpb.KV/Put";

constexpr int kDepartments = 99;  // H98.01 .. H98.99: a task may have up to 100 assignments
const std::string kProvince = "H98";
std::string Department(int d) { return absl::StrFormat("H98.%02d", d % kDepartments + 1); }
// The unit list_page lists: it leads every preloaded task.
const std::string kListedUnit = "units/H98.01";
const std::string kListFilter = "unit = \"units/H98.01\" AND state = NOT_STARTED";

// A task as a province enters it from a plan, ~365 bytes serialized with no assignments.
v1::CreateTaskRequest TaskRequest(int64_t i) {
  v1::CreateTaskRequest req;
  v1::Task* task = req.mutable_task();
  v1::Directive* directive = task->mutable_directive();
  directive->set_number("452/KH-UBND");
  directive->set_issuer("Ủy ban nhân dân tỉnh");
  directive->mutable_issue_date()->set_year(2026);
  directive->mutable_issue_date()->set_month(1);
  directive->mutable_issue_date()->set_day(15);
  task->set_title(absl::StrCat(testing::PlanSubject(i), " — đợt ", i));
  task->set_content(
      "Theo Đề án 06: rà soát, thống kê, báo cáo kết quả thực hiện về Tổ công tác triển "
      "khai Đề án 06 của tỉnh trước ngày 25 hằng tháng.");
  task->set_category("Dịch vụ công");
  task->set_urgency(v1::URGENCY_FOCUS);
  task->set_kind(v1::TASK_KIND_ONE_OFF);
  task->set_assigning_unit(absl::StrCat("units/", kProvince));
  // Next year: no deadline crossing falls due while the benchmark runs (the server's
  // deadline scheduler would record events for past deadlines alongside the load).
  static const int kYear = absl::ToCivilYear(absl::Now(), absl::UTCTimeZone()).year() + 1;
  task->mutable_deadline()->set_year(kYear);
  task->mutable_deadline()->set_month(static_cast<int>(i % 12) + 1);
  task->mutable_deadline()->set_day(static_cast<int>(i % 28) + 1);
  task->add_labels("2026");
  task->add_labels("kế hoạch 452");
  return req;
}

void AddAssignment(v1::CreateTaskRequest* req, int department, v1::AssignmentRole role) {
  v1::Assignment* a = req->add_assignments();
  a->set_unit(absl::StrCat("units/", Department(department)));
  a->set_role(role);
}

// The token of --token_file, read once; empty without.
const std::string& Token() {
  static const std::string* token = [] {
    std::string text;
    const std::string path = absl::GetFlag(FLAGS_token_file);
    if (!path.empty()) {
      std::ifstream file(path);
      std::stringstream contents;
      contents << file.rdbuf();
      text = std::string(absl::StripAsciiWhitespace(contents.str()));
      if (text.empty()) {
        std::cerr << "d06_loadgen: no token in --token_file " << path << "\n";
        std::exit(2);
      }
    }
    return new std::string(text);
  }();
  return *token;
}

// The authorization metadata of d06 calls: "Bearer <token>", or empty (the actor goes).
std::string Authorization() { return Token().empty() ? "" : absl::StrCat("Bearer ", Token()); }

// The province and its departments; ALREADY_EXISTS is fine (a rerun, another scenario).
absl::Status EnsureUnits(const std::string& target, const std::string& actor) {
  ClientOptions options;
  options.target = target;
  if (Token().empty()) {
    options.actor = actor;
  } else {
    options.token = Token();
  }
  auto client = Client::Connect(options);
  if (!client.ok()) return client.status();
  auto create = [&](const std::string& code, v1::UnitKind kind,
                    const std::string& parent) -> absl::Status {
    v1::CreateUnitRequest req;
    req.mutable_unit()->set_code(code);
    req.mutable_unit()->set_display_name(absl::StrCat("Đơn vị thử tải ", code));
    req.mutable_unit()->set_kind(kind);
    if (!parent.empty()) req.mutable_unit()->set_parent(absl::StrCat("units/", parent));
    auto got = (*client)->CreateUnit(req);
    if (got.ok() || client::ErrorReason(got.status()) == v1::reason::kAlreadyExists) {
      return absl::OkStatus();
    }
    return absl::Status(got.status().code(),
                        absl::StrCat("create unit ", code, ": ", got.status().message()));
  };
  if (auto s = create(kProvince, v1::UNIT_KIND_PROVINCE, ""); !s.ok()) return s;
  for (int d = 0; d < kDepartments; ++d) {
    if (auto s = create(Department(d), v1::UNIT_KIND_DEPARTMENT, kProvince); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// Any status but OK during a setup step fails it, naming the first error.
absl::Status SetupStatus(const LoadStats& stats, const std::string& step) {
  for (const auto& [code, n] : stats.codes) {
    if (code != 0) {
      return absl::Status(
          static_cast<absl::StatusCode>(code),
          absl::StrCat(step, ": ", n, " calls failed, first: ", stats.first_message.at(code)));
    }
  }
  return absl::OkStatus();
}

// Creates `tasks` tasks of `per_task` assignments each (the first a LEAD, the others
// SUPPORT; departments from `first_department` on) and returns their assignments, or
// their tasks when per_task is 0.
class TaskPoolGenerator : public Generator {
 public:
  TaskPoolGenerator(int64_t tasks, int per_task, int64_t first_index)
      : tasks_(tasks), per_task_(per_task), first_index_(first_index) {}
  bool Next(int, Call* call) override {
    const int64_t i = next_.fetch_add(1);
    if (i >= tasks_) return false;
    v1::CreateTaskRequest req = TaskRequest(first_index_ + i);
    for (int a = 0; a < per_task_; ++a) {
      AddAssignment(&req, static_cast<int>(i + a),
                    a == 0 ? v1::ASSIGNMENT_ROLE_LEAD : v1::ASSIGNMENT_ROLE_SUPPORT);
    }
    call->method = &kCreateTask;
    call->body = ToBuffer(req);
    return true;
  }
  void Done(int, const Call&, const grpc::Status& status,
            const grpc::ByteBuffer& response) override {
    if (!status.ok()) return;
    v1::CreateTaskResponse resp;
    if (!Parse(response, &resp)) return;
    std::lock_guard<std::mutex> lock(mu_);
    task_names_.push_back(resp.task().name());
    for (const auto& a : resp.assignments()) assignment_names_.push_back(a.name());
  }
  std::vector<std::string> task_names() const { return task_names_; }
  std::vector<std::string> assignment_names() const { return assignment_names_; }

 private:
  const int64_t tasks_;
  const int per_task_;
  const int64_t first_index_;
  std::atomic<int64_t> next_{0};
  std::mutex mu_;
  std::vector<std::string> task_names_;
  std::vector<std::string> assignment_names_;
};

// ---- scenarios -------------------------------------------------------------------------

struct Context {
  std::string target;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  LoadOptions setup;                          // count mode, preload_inflight slots
  std::map<std::string, std::string> report;  // extra JSON fields (already encoded)
};

// A scenario: its setup, then the generator of the measured load.
class Scenario : public Generator {
 public:
  virtual bool d06() const { return true; }
  virtual absl::Status Setup(Context& ctx) { return absl::OkStatus(); }
  virtual void Report(Context& ctx) {}
  virtual int64_t request_bytes() const { return 0; }
};

// Fixed request bytes per call.
class FixedScenario : public Scenario {
 public:
  FixedScenario(const std::string* method, std::string body, bool d06)
      : method_(method), body_(std::move(body)), buffer_(ToBuffer(body_)), d06_(d06) {}
  bool d06() const override { return d06_; }
  bool Next(int, Call* call) override {
    call->method = method_;
    call->body = buffer_;
    call->with_actor = d06_;
    return true;
  }
  int64_t request_bytes() const override { return static_cast<int64_t>(body_.size()); }

 private:
  const std::string* method_;
  const std::string body_;
  const grpc::ByteBuffer buffer_;
  const bool d06_;
};

class EmptyScenario : public FixedScenario {
 public:
  // HealthCheckRequest{service: ""}: zero bytes.
  EmptyScenario() : FixedScenario(&kHealthCheck, "", /*d06=*/false) {}
};

class CeilingScenario : public FixedScenario {
 public:
  CeilingScenario() : FixedScenario(&kPipelineWrite, "", /*d06=*/false) {}
};

class CreateTaskScenario : public Scenario {
 public:
  explicit CreateTaskScenario(bool assigned) : assigned_(assigned) {}
  bool Next(int slot, Call* call) override {
    const int64_t i = next_.fetch_add(1);
    v1::CreateTaskRequest req = TaskRequest(i);
    if (assigned_) {
      const int d = static_cast<int>(i % kDepartments);
      AddAssignment(&req, d, v1::ASSIGNMENT_ROLE_LEAD);
      AddAssignment(&req, d + 1, v1::ASSIGNMENT_ROLE_SUPPORT);
      AddAssignment(&req, d + 2, v1::ASSIGNMENT_ROLE_SUPPORT);
    }
    call->method = &kCreateTask;
    call->body = ToBuffer(req);
    return true;
  }
  void Done(int, const Call&, const grpc::Status& status, const grpc::ByteBuffer&) override {
    if (status.ok()) created_.fetch_add(1);
  }
  void Report(Context& ctx) override {
    ctx.report["tasks_created"] = absl::StrCat(created_.load());
    ctx.report["assignments_created"] = absl::StrCat(created_.load() * (assigned_ ? 3 : 0));
  }
  int64_t request_bytes() const override {
    v1::CreateTaskRequest req = TaskRequest(1000);
    if (assigned_) {
      AddAssignment(&req, 0, v1::ASSIGNMENT_ROLE_LEAD);
      AddAssignment(&req, 1, v1::ASSIGNMENT_ROLE_SUPPORT);
      AddAssignment(&req, 2, v1::ASSIGNMENT_ROLE_SUPPORT);
    }
    return static_cast<int64_t>(req.ByteSizeLong());
  }

 private:
  const bool assigned_;
  std::atomic<int64_t> next_{0};
  std::atomic<int64_t> created_{0};
};

// Reads of tasks or assignments created in the setup, round robin.
class GetScenario : public Scenario {
 public:
  explicit GetScenario(bool assignment) : assignment_(assignment) {}
  absl::Status Setup(Context& ctx) override {
    TaskPoolGenerator pool(absl::GetFlag(FLAGS_read_pool), 3, 1'000'000);
    LoadStats stats = RunLoad(ctx.channels, pool, ctx.setup);
    if (auto s = SetupStatus(stats, "create the read pool"); !s.ok()) return s;
    for (const std::string& name : assignment_ ? pool.assignment_names() : pool.task_names()) {
      if (assignment_) {
        v1::GetAssignmentRequest req;
        req.set_name(name);
        bodies_.push_back(ToBuffer(req));
      } else {
        v1::GetTaskRequest req;
        req.set_name(name);
        bodies_.push_back(ToBuffer(req));
      }
    }
    if (bodies_.empty()) return absl::InternalError("the read pool is empty");
    ctx.report["tasks_created"] = absl::StrCat(pool.task_names().size());
    ctx.report["assignments_created"] = absl::StrCat(pool.assignment_names().size());
    return absl::OkStatus();
  }
  bool Next(int, Call* call) override {
    const uint64_t i = next_.fetch_add(1);
    call->method = assignment_ ? &kGetAssignment : &kGetTask;
    call->body = bodies_[i % bodies_.size()];
    return true;
  }
  int64_t request_bytes() const override {
    return bodies_.empty() ? 0 : static_cast<int64_t>(bodies_[0].Length());
  }

 private:
  const bool assignment_;
  std::vector<grpc::ByteBuffer> bodies_;
  std::atomic<uint64_t> next_{0};
};

// GetUnit of the province and its departments in turn (made by every d06 scenario's
// setup): a point read of a small record, the cheap call whose latency the fairness runs
// watch while another client floods the server with expensive reads.
class GetUnitScenario : public Scenario {
 public:
  GetUnitScenario() {
    for (int d = -1; d < kDepartments; ++d) {
      v1::GetUnitRequest req;
      req.set_name(absl::StrCat("units/", d < 0 ? kProvince : Department(d)));
      bodies_.push_back(ToBuffer(req));
    }
  }
  bool Next(int, Call* call) override {
    const uint64_t i = next_.fetch_add(1);
    call->method = &kGetUnit;
    call->body = bodies_[i % bodies_.size()];
    return true;
  }
  int64_t request_bytes() const override { return static_cast<int64_t>(bodies_[0].Length()); }

 private:
  std::vector<grpc::ByteBuffer> bodies_;
  std::atomic<uint64_t> next_{0};
};

// Each slot walks its own assignments start -> report progress -> submit -> approve.
class TransitionsScenario : public Scenario {
 public:
  enum Kind { kStartStep = 0, kProgressStep, kSubmitStep, kApproveStep, kRefill };
  static constexpr int kPerTask = kDepartments;  // assignments per refill task

  absl::Status Setup(Context& ctx) override {
    const int inflight = absl::GetFlag(FLAGS_inflight);
    slots_.resize(static_cast<size_t>(inflight));
    int64_t pool = absl::GetFlag(FLAGS_transition_pool);
    if (pool <= 0) {
      // About 20,000 transitions/s (4 per assignment) over the run, at most 40,000.
      const double seconds =
          absl::ToDoubleSeconds(absl::GetFlag(FLAGS_warmup) + absl::GetFlag(FLAGS_duration));
      pool = std::min<int64_t>(40'000, static_cast<int64_t>(seconds * 20'000 / 4));
      // Fewer at 1 in flight: a slot hardly does 2,000 a second.
      pool = std::min<int64_t>(pool, static_cast<int64_t>(inflight * seconds * 2'000 / 4) + 1);
    }
    const int64_t tasks = (pool + kPerTask - 1) / kPerTask;
    TaskPoolGenerator gen(tasks, kPerTask, 2'000'000);
    LoadStats stats = RunLoad(ctx.channels, gen, ctx.setup);
    if (auto s = SetupStatus(stats, "create the transition pool"); !s.ok()) return s;
    size_t i = 0;
    for (const std::string& name : gen.assignment_names()) {
      slots_[i++ % slots_.size()].ready.push_back(name);
    }
    ctx.report["transition_pool"] = absl::StrCat(gen.assignment_names().size());
    pool_tasks_ = static_cast<int64_t>(gen.task_names().size());
    return absl::OkStatus();
  }

  bool Next(int slot, Call* call) override {
    SlotState& s = slots_[static_cast<size_t>(slot)];
    if (s.current.empty()) {
      if (s.ready.empty()) {
        // Out of assignments: create a task of kPerTask more (not measured).
        v1::CreateTaskRequest req = TaskRequest(3'000'000 + refills_.fetch_add(1));
        for (int a = 0; a < kPerTask; ++a) {
          AddAssignment(&req, a, a == 0 ? v1::ASSIGNMENT_ROLE_LEAD : v1::ASSIGNMENT_ROLE_SUPPORT);
        }
        call->method = &kCreateTask;
        call->body = ToBuffer(req);
        call->measured = false;
        call->kind = kRefill;
        return true;
      }
      s.current = std::move(s.ready.back());
      s.ready.pop_back();
      s.step = kStartStep;
      s.etag.clear();
    }
    const std::string etag = absl::GetFlag(FLAGS_etag) ? s.etag : "";
    call->kind = s.step;
    switch (s.step) {
      case kStartStep: {
        v1::StartAssignmentRequest req;
        req.set_name(s.current);
        req.set_etag(etag);
        call->method = &kStart;
        call->body = ToBuffer(req);
        break;
      }
      case kProgressStep: {
        v1::ReportAssignmentProgressRequest req;
        req.set_name(s.current);
        req.set_etag(etag);
        req.set_percent(60);
        req.set_note("Đã rà soát 60% hồ sơ");
        call->method = &kProgress;
        call->body = ToBuffer(req);
        break;
      }
      case kSubmitStep: {
        v1::SubmitAssignmentRequest req;
        req.set_name(s.current);
        req.set_etag(etag);
        req.set_note("Hoàn thành, đề nghị xác nhận");
        call->method = &kSubmit;
        call->body = ToBuffer(req);
        break;
      }
      default: {
        v1::ApproveAssignmentRequest req;
        req.set_name(s.current);
        req.set_etag(etag);
        call->method = &kApprove;
        call->body = ToBuffer(req);
        break;
      }
    }
    return true;
  }

  void Done(int slot, const Call& call, const grpc::Status& status,
            const grpc::ByteBuffer& response) override {
    SlotState& s = slots_[static_cast<size_t>(slot)];
    if (call.kind == kRefill) {
      v1::CreateTaskResponse resp;
      if (status.ok() && Parse(response, &resp)) {
        for (const auto& a : resp.assignments()) s.ready.push_back(a.name());
      }
      return;
    }
    if (!status.ok()) {  // counted as unexpected; go on with the next assignment
      s.current.clear();
      return;
    }
    if (absl::GetFlag(FLAGS_etag)) {
      v1::StartAssignmentResponse resp;  // every transition answers {Assignment = 1}
      if (Parse(response, &resp)) s.etag = resp.assignment().etag();
    }
    if (++s.step > kApproveStep) {
      s.current.clear();
      completed_.fetch_add(1);
    }
  }

  void Report(Context& ctx) override {
    ctx.report["refills"] = absl::StrCat(refills_.load());
    ctx.report["tasks_created"] = absl::StrCat(pool_tasks_ + refills_.load());
    ctx.report["assignments_completed"] = absl::StrCat(completed_.load());
    ctx.report["etag"] = absl::GetFlag(FLAGS_etag) ? "true" : "false";
  }

  int64_t request_bytes() const override {
    v1::StartAssignmentRequest req;
    req.set_name("tasks/2000001/assignments/H98.01");
    return static_cast<int64_t>(req.ByteSizeLong());
  }

 private:
  struct SlotState {
    std::vector<std::string> ready;
    std::string current;
    int step = 0;
    std::string etag;
  };
  std::vector<SlotState> slots_;
  int64_t pool_tasks_ = 0;
  std::atomic<int64_t> refills_{0};
  std::atomic<int64_t> completed_{0};
};

// Creates N assignments: tasks of three, the listed unit leading each, departments 2..99
// supporting; every 4th task's lead is started (so the state filter excludes a quarter).
class PreloadGenerator : public Generator {
 public:
  explicit PreloadGenerator(int64_t assignments)
      : assignments_(assignments), tasks_((assignments + 2) / 3) {}
  bool Next(int slot, Call* call) override {
    std::string& pending = pending_start_[slot];
    if (!pending.empty()) {
      v1::StartAssignmentRequest req;
      req.set_name(pending);
      pending.clear();
      call->method = &kStart;
      call->body = ToBuffer(req);
      call->kind = 1;
      return true;
    }
    const int64_t t = next_.fetch_add(1);
    if (t >= tasks_) return false;
    v1::CreateTaskRequest req = TaskRequest(t);
    const int64_t n = std::min<int64_t>(3, assignments_ - 3 * t);
    AddAssignment(&req, 0, v1::ASSIGNMENT_ROLE_LEAD);
    for (int a = 1; a < n; ++a) {
      AddAssignment(&req, 1 + static_cast<int>((t + a - 1) % (kDepartments - 1)),
                    v1::ASSIGNMENT_ROLE_SUPPORT);
    }
    call->method = &kCreateTask;
    call->body = ToBuffer(req);
    call->kind = t % 4 == 0 ? 2 : 0;
    return true;
  }
  void Done(int slot, const Call& call, const grpc::Status& status,
            const grpc::ByteBuffer& response) override {
    if (!status.ok()) return;
    if (call.kind == 1) {
      started_.fetch_add(1);
      return;
    }
    tasks_created_.fetch_add(1);
    if (call.kind == 2) {
      v1::CreateTaskResponse resp;
      if (Parse(response, &resp) && resp.assignments_size() > 0) {
        pending_start_[slot] = resp.assignments(0).name();
      }
    }
  }
  void Resize(int slots) { pending_start_.resize(static_cast<size_t>(slots)); }
  int64_t tasks_created() const { return tasks_created_.load(); }
  int64_t started() const { return started_.load(); }

 private:
  const int64_t assignments_;
  const int64_t tasks_;
  std::atomic<int64_t> next_{0};
  std::atomic<int64_t> tasks_created_{0};
  std::atomic<int64_t> started_{0};
  std::vector<std::string> pending_start_;
};

// The list page, or (`summary`) today's province summary by department; both over the
// same preload.
class ListPageScenario : public Scenario {
 public:
  explicit ListPageScenario(bool summary) : summary_(summary) {
    if (summary) {
      v1::GetSummaryRequest req;
      req.set_unit(absl::StrCat("units/", kProvince));
      req.set_group_by(v1::SUMMARY_GROUP_BY_CHILD_UNIT);
      body_ = ToBuffer(req);
      bytes_ = static_cast<int64_t>(req.ByteSizeLong());
      return;
    }
    v1::ListAssignmentsRequest req;
    req.set_parent("tasks/-");
    req.set_page_size(absl::GetFlag(FLAGS_page_size));
    req.set_filter(kListFilter);
    body_ = ToBuffer(req);
    bytes_ = static_cast<int64_t>(req.ByteSizeLong());
  }
  absl::Status Setup(Context& ctx) override {
    const int64_t n = absl::GetFlag(FLAGS_preload_assignments);
    if (n > 0) {
      PreloadGenerator gen(n);
      gen.Resize(ctx.setup.inflight);
      const absl::Time t0 = absl::Now();
      LoadStats stats = RunLoad(ctx.channels, gen, ctx.setup);
      if (auto s = SetupStatus(stats, "preload"); !s.ok()) return s;
      ctx.report["preload_assignments"] = absl::StrCat(n);
      ctx.report["tasks_created"] = absl::StrCat(gen.tasks_created());
      ctx.report["assignments_created"] = absl::StrCat(n);
      ctx.report["assignments_started"] = absl::StrCat(gen.started());
      ctx.report["preload_s"] = absl::StrFormat("%.1f", absl::ToDoubleSeconds(absl::Now() - t0));
    }
    ctx.report["list_filter"] =
        absl::StrCat("\"", absl::StrReplaceAll(kListFilter, {{"\"", "\\\""}}), "\"");
    slots_.resize(static_cast<size_t>(absl::GetFlag(FLAGS_inflight)));
    return absl::OkStatus();
  }
  bool Next(int, Call* call) override {
    call->method = summary_ ? &kGetSummary : &kListAssignments;
    call->body = body_;
    return true;
  }
  // Samples the page length: the first answer of each slot and every 64th after it.
  void Done(int slot, const Call&, const grpc::Status& status,
            const grpc::ByteBuffer& response) override {
    if (summary_ || !status.ok() || slots_[static_cast<size_t>(slot)]++ % 64 != 0) return;
    v1::ListAssignmentsResponse resp;
    if (!Parse(response, &resp)) return;
    const int items = resp.assignments_size();
    std::lock_guard<std::mutex> lock(mu_);
    min_items_ = std::min(min_items_, items);
    max_items_ = std::max(max_items_, items);
    more_ = more_ || !resp.next_page_token().empty();
  }
  void Report(Context& ctx) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (max_items_ < 0) return;
    ctx.report["page_items_min"] = absl::StrCat(min_items_);
    ctx.report["page_items_max"] = absl::StrCat(max_items_);
    ctx.report["page_has_next"] = more_ ? "true" : "false";
  }
  int64_t request_bytes() const override { return bytes_; }

 private:
  const bool summary_;
  grpc::ByteBuffer body_;
  int64_t bytes_ = 0;
  std::vector<int64_t> slots_;
  std::mutex mu_;
  int min_items_ = 1 << 30;
  int max_items_ = -1;
  bool more_ = false;
};

// etcd's KV Put, encoded by hand: PutRequest{bytes key = 1; bytes value = 2; ...}.
class EtcdPutScenario : public Scenario {
 public:
  EtcdPutScenario() : value_(300, 'v') {
    for (size_t i = 0; i < value_.size(); ++i) value_[i] = static_cast<char>('a' + i % 26);
  }
  bool d06() const override { return false; }
  absl::Status Setup(Context& ctx) override {
    counters_.assign(static_cast<size_t>(absl::GetFlag(FLAGS_inflight)), 0);
    return absl::OkStatus();
  }
  bool Next(int slot, Call* call) override {
    call->method = &kEtcdPut;
    call->body = ToBuffer(Encode(slot, counters_[static_cast<size_t>(slot)]++));
    call->with_actor = false;
    return true;
  }
  int64_t request_bytes() const override { return static_cast<int64_t>(Encode(0, 0).size()); }

 private:
  std::string Encode(int slot, int64_t n) const {
    std::string body;
    AppendBytesField(&body, 1, absl::StrFormat("/d06-bench/%04d/%012d", slot, n));
    AppendBytesField(&body, 2, value_);
    return body;
  }
  std::string value_;
  std::vector<int64_t> counters_;
};

std::unique_ptr<Scenario> MakeScenario(const std::string& name) {
  if (name == "empty") return std::make_unique<EmptyScenario>();
  if (name == "ceiling") return std::make_unique<CeilingScenario>();
  if (name == "create_task") return std::make_unique<CreateTaskScenario>(false);
  if (name == "create_task_assigned") return std::make_unique<CreateTaskScenario>(true);
  if (name == "transitions") return std::make_unique<TransitionsScenario>();
  if (name == "get_task") return std::make_unique<GetScenario>(false);
  if (name == "get_assignment") return std::make_unique<GetScenario>(true);
  if (name == "get_unit") return std::make_unique<GetUnitScenario>();
  if (name == "list_page") return std::make_unique<ListPageScenario>(false);
  if (name == "summary") return std::make_unique<ListPageScenario>(true);
  if (name == "etcd_put") return std::make_unique<EtcdPutScenario>();
  return nullptr;
}

// Polls Health/Check until SERVING; prints when (the wall clock, for start-up times).
int WaitServing(const std::string& target, absl::Duration timeout) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  // Reconnect quickly while the server is not listening yet (the default waits 1 s).
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 5);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 5);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 20);
  auto channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  ClientOptions options;
  options.max_retries = 0;
  options.default_timeout = absl::Milliseconds(250);
  Client client(channel, options);
  const absl::Time start = absl::Now();
  int attempts = 0;
  absl::Status last;
  while (absl::Now() - start < timeout) {
    ++attempts;
    last = client.CheckHealth();
    if (last.ok()) {
      const absl::Time serving = absl::Now();
      std::cout << absl::StrFormat(
                       "{\"scenario\":\"wait_serving\",\"target\":\"%s\",\"serving_unix_ns\":%d,"
                       "\"waited_s\":%.3f,\"attempts\":%d}",
                       target, absl::ToUnixNanos(serving), absl::ToDoubleSeconds(serving - start),
                       attempts)
                << std::endl;
      return 0;
    }
    absl::SleepFor(absl::Milliseconds(2));
  }
  std::cerr << "d06_loadgen: " << target << " not SERVING after " << timeout << ": " << last
            << "\n";
  return 1;
}

std::string Json(double v) { return absl::StrFormat("%.3f", v); }

// {"p50":…,"p90":…,"p99":…,"max":…,"mean":…} in milliseconds.
std::string LatencyJson(const Histogram& h) {
  return absl::StrFormat("{\"p50\":%s,\"p90\":%s,\"p99\":%s,\"max\":%s,\"mean\":%s}",
                         Json(h.PercentileMillis(0.5)), Json(h.PercentileMillis(0.9)),
                         Json(h.PercentileMillis(0.99)), Json(h.MaxMillis()), Json(h.MeanMillis()));
}

// "NAME":count,… of every status in `stats`; adds those not in `expected` to *unexpected
// and names them on stderr.
std::string StatusJson(const std::string& name, const LoadStats& stats,
                       const std::vector<int>& expected, int64_t* unexpected) {
  std::vector<std::string> codes;
  for (const auto& [code, n] : stats.codes) {
    codes.push_back(absl::StrFormat("\"%s\":%d", CodeName(code), n));
    if (std::find(expected.begin(), expected.end(), code) == expected.end()) {
      *unexpected += n;
      const auto first = stats.first_message.find(code);  // none kept for OK
      std::cerr << "d06_loadgen: " << name << ": " << n << " × " << CodeName(code)
                << ", first: " << (first == stats.first_message.end() ? "" : first->second) << "\n";
    }
  }
  return absl::StrJoin(codes, ",");
}

// A scenario that may be run as --victim: cheap point reads whose setup does not depend on
// the main scenario's flags (--inflight sizes some scenarios' per-slot state).
bool VictimScenario(const std::string& name) {
  return name == "empty" || name == "get_unit" || name == "get_task" || name == "get_assignment";
}

// Watchers of EventService.Watch kept open while the load runs: idle ones (a filter that
// matches nothing) and slow ones (every event, taken at a fixed rate below the rate the
// writes make them, as a consumer that processes each event would; cut off by the server
// when too far behind, they resume from where it says). Each on a connection of its own,
// as the portals and systems that watch are (d06d takes 16 watchers per connection).
class Watchers {
 public:
  Watchers(const std::string& target, int idle, int slow, int rate) {
    for (int i = 0; i < idle + slow; ++i) {
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // no connection shared
      stubs_.push_back(v1::EventService::NewStub(
          grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args)));
    }
    for (int i = 0; i < idle + slow; ++i) {
      const bool is_slow = i >= idle;
      v1::EventService::Stub* stub = stubs_[i].get();
      threads_.emplace_back([this, stub, is_slow, rate] { Follow(stub, is_slow, rate); });
    }
  }
  ~Watchers() { Stop(); }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
      for (grpc::ClientContext* c : contexts_) c->TryCancel();
    }
    for (std::thread& t : threads_) t.join();
    threads_.clear();
  }
  void Report(std::map<std::string, std::string>* report) const {
    (*report)["watcher_events"] = absl::StrCat(events_.load());
    (*report)["watcher_cutoffs"] = absl::StrCat(cutoffs_.load());
    (*report)["watcher_errors"] = absl::StrCat(errors_.load());
  }

 private:
  void Follow(v1::EventService::Stub* stub, bool slow, int rate) {
    int64_t next = 0;
    while (true) {
      grpc::ClientContext context;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) return;
        contexts_.push_back(&context);
      }
      if (!Authorization().empty()) {
        context.AddMetadata(std::string(v1::kAuthorizationMetadataKey), Authorization());
      }
      v1::WatchRequest req;
      req.set_start_revision(next);
      if (!slow) req.set_task("tasks/999999999999");  // no such task: nothing matches
      auto reader = stub->Watch(&context, req);
      v1::WatchResponse response;
      while (reader->Read(&response)) {
        next = response.revision() + 1;
        events_ += response.events_size();
        if (slow) absl::SleepFor(absl::Seconds(1) * response.events_size() / rate);
      }
      const grpc::Status status = reader->Finish();
      {
        std::lock_guard<std::mutex> lock(mu_);
        contexts_.erase(std::find(contexts_.begin(), contexts_.end(), &context));
        if (stopping_) return;
      }
      if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
        ++cutoffs_;
      } else {
        ++errors_;
        std::cerr << "d06_loadgen: watch ended: " << status.error_message() << "\n";
        absl::SleepFor(absl::Milliseconds(100));
      }
    }
  }

  std::vector<std::unique_ptr<v1::EventService::Stub>> stubs_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  bool stopping_ = false;
  std::vector<grpc::ClientContext*> contexts_;
  std::atomic<int64_t> events_{0};
  std::atomic<int64_t> cutoffs_{0};
  std::atomic<int64_t> errors_{0};
};

int Main(int argc, char** argv) {
  InitFlagsUsage(__FILE__,
                 "a closed-loop gRPC load generator: one scenario at --inflight requests in "
                 "flight, one JSON line of throughput, latency and status counts.\n"
                 "Usage: d06_loadgen --target=host:port --scenario=NAME [--inflight=N] "
                 "[--warmup=1s] [--duration=5s] [--preload_assignments=N]");
  absl::ParseCommandLine(argc, argv);
  const std::string target = absl::GetFlag(FLAGS_target);
  const std::string name = absl::GetFlag(FLAGS_scenario);
  const int inflight = absl::GetFlag(FLAGS_inflight);
  if (inflight < 1 || absl::GetFlag(FLAGS_threads) < 1 || absl::GetFlag(FLAGS_channels) < 1 ||
      absl::GetFlag(FLAGS_preload_inflight) < 1) {
    std::cerr << "d06_loadgen: --inflight, --threads, --channels and --preload_inflight must "
                 "be at least 1\n";
    return 2;
  }
  if (name == "wait_serving") return WaitServing(target, absl::GetFlag(FLAGS_timeout));
  std::unique_ptr<Scenario> scenario = MakeScenario(name);
  if (scenario == nullptr) {
    std::cerr << "d06_loadgen: unknown --scenario=" << name << " (see --help)\n";
    return 2;
  }
  const std::string victim_name = absl::GetFlag(FLAGS_victim);
  std::unique_ptr<Scenario> victim;
  if (!victim_name.empty()) {
    if (!VictimScenario(victim_name) || absl::GetFlag(FLAGS_victim_inflight) < 1) {
      std::cerr << "d06_loadgen: --victim must be empty, get_unit, get_task or "
                   "get_assignment, with --victim_inflight at least 1\n";
      return 2;
    }
    victim = MakeScenario(victim_name);
  }
  std::vector<int> expected;
  for (absl::string_view code : absl::StrSplit(absl::GetFlag(FLAGS_expect), ',')) {
    auto it = std::find(kCodeNames.begin(), kCodeNames.end(), code);
    if (it == kCodeNames.end()) {
      std::cerr << "d06_loadgen: unknown status code in --expect: " << code << "\n";
      return 2;
    }
    expected.push_back(static_cast<int>(it - kCodeNames.begin()));
  }

  Context ctx;
  ctx.target = target;
  ctx.channels = MakeChannels(target, absl::GetFlag(FLAGS_channels));
  ctx.setup.inflight = absl::GetFlag(FLAGS_preload_inflight);
  ctx.setup.threads = absl::GetFlag(FLAGS_threads);
  ctx.setup.until_done = true;
  ctx.setup.deadline = absl::Seconds(60);
  ctx.setup.actor = absl::GetFlag(FLAGS_actor);
  ctx.setup.authorization = Authorization();

  const absl::Time setup_start = absl::Now();
  absl::Status setup = absl::OkStatus();
  if (scenario->d06()) setup = EnsureUnits(target, absl::GetFlag(FLAGS_actor));
  if (setup.ok()) setup = scenario->Setup(ctx);
  const double setup_seconds = absl::ToDoubleSeconds(absl::Now() - setup_start);
  if (!setup.ok()) {
    std::cerr << "d06_loadgen: " << name << " setup failed: " << setup << "\n";
    return 1;
  }
  if (const std::string dump = absl::GetFlag(FLAGS_dump_request); !dump.empty()) {
    Call call;
    if (!scenario->Next(0, &call)) return 1;
    const std::string bytes = ToString(call.body);
    std::string framed(1, '\0');
    for (int shift = 24; shift >= 0; shift -= 8) {
      framed.push_back(static_cast<char>((bytes.size() >> shift) & 0xff));
    }
    framed += bytes;
    std::ofstream out(dump, std::ios::binary);
    out << framed;
    if (!out.good()) {
      std::cerr << "d06_loadgen: cannot write " << dump << "\n";
      return 1;
    }
    std::cout << "{\"scenario\":\"" << name << "\",\"dumped_bytes\":" << framed.size()
              << ",\"method\":\"" << *call.method << "\"}" << std::endl;
    return 0;
  }
  auto print_extra = [&](std::string* line) {
    for (const auto& [key, value] : ctx.report) absl::StrAppend(line, ",\"", key, "\":", value);
  };
  if (absl::GetFlag(FLAGS_setup_only)) {
    std::string line =
        absl::StrFormat("{\"scenario\":\"%s\",\"target\":\"%s\",\"setup_only\":true,\"setup_s\":%s",
                        name, target, Json(setup_seconds));
    print_extra(&line);
    std::cout << line << "}" << std::endl;
    return 0;
  }
  // The victim: a connection of its own (MakeChannels gives every channel its own
  // subchannel pool) and a client thread of its own, set up after the main scenario so
  // that a preload is in place before it.
  Context victim_ctx;
  if (victim != nullptr) {
    victim_ctx.target = target;
    victim_ctx.channels = MakeChannels(target, 1);
    victim_ctx.setup = ctx.setup;
    absl::Status s = absl::OkStatus();
    if (victim->d06() && !scenario->d06()) s = EnsureUnits(target, absl::GetFlag(FLAGS_actor));
    if (s.ok()) s = victim->Setup(victim_ctx);
    if (!s.ok()) {
      std::cerr << "d06_loadgen: victim " << victim_name << " setup failed: " << s << "\n";
      return 1;
    }
  }

  LoadOptions load;
  load.inflight = inflight;
  load.threads = absl::GetFlag(FLAGS_threads);
  load.warmup = absl::GetFlag(FLAGS_warmup);
  load.duration = absl::GetFlag(FLAGS_duration);
  load.deadline = absl::GetFlag(FLAGS_deadline);
  load.drain_timeout = absl::GetFlag(FLAGS_timeout);
  load.actor = absl::GetFlag(FLAGS_actor);
  load.authorization = Authorization();
  const int server_pid = absl::GetFlag(FLAGS_server_pid);
  const double server_cpu_before = ProcessCpuSeconds(server_pid);
  const double machine_before = MachineBusySeconds();
  std::optional<Watchers> watchers;
  if (absl::GetFlag(FLAGS_idle_watchers) > 0 || absl::GetFlag(FLAGS_slow_watchers) > 0) {
    watchers.emplace(target, absl::GetFlag(FLAGS_idle_watchers), absl::GetFlag(FLAGS_slow_watchers),
                     std::max(1, absl::GetFlag(FLAGS_slow_watcher_rate)));
    ctx.report["idle_watchers"] = absl::StrCat(absl::GetFlag(FLAGS_idle_watchers));
    ctx.report["slow_watchers"] = absl::StrCat(absl::GetFlag(FLAGS_slow_watchers));
  }
  // The victim runs over the same warm-up and window as the main load: both start now.
  LoadStats victim_stats;
  std::thread victim_thread;
  if (victim != nullptr) {
    LoadOptions victim_load = load;
    victim_load.inflight = absl::GetFlag(FLAGS_victim_inflight);
    victim_load.threads = 1;
    victim_thread = std::thread([&victim_ctx, &victim, &victim_stats, victim_load] {
      victim_stats = RunLoad(victim_ctx.channels, *victim, victim_load);
    });
  }
  LoadStats stats = RunLoad(ctx.channels, *scenario, load);
  if (victim_thread.joinable()) victim_thread.join();
  const double server_cpu_after = ProcessCpuSeconds(server_pid);
  const double machine_after = MachineBusySeconds();
  if (watchers) {
    watchers->Stop();
    watchers->Report(&ctx.report);
  }
  scenario->Report(ctx);
  int64_t calls_total = 0;
  for (const auto& [code, n] : stats.codes) calls_total += n;
  // The victim's calls too: its CPU, client and server, is in the figures below.
  for (const auto& [code, n] : victim_stats.codes) calls_total += n;
  ctx.report["calls_total"] = absl::StrCat(calls_total);
  ctx.report["client_cpu_us_per_call"] = absl::StrFormat(
      "%.1f", calls_total == 0 ? 0.0 : stats.client_cpu_seconds * 1e6 / calls_total);
  if (server_cpu_before >= 0 && server_cpu_after >= 0) {
    const double cpu = server_cpu_after - server_cpu_before;
    ctx.report["server_cpu_s"] = Json(cpu);
    ctx.report["server_cpu_us_per_call"] =
        absl::StrFormat("%.1f", calls_total == 0 ? 0.0 : cpu * 1e6 / calls_total);
    if (machine_before >= 0 && machine_after >= 0) {
      // What the rest of the machine used meanwhile: a busy neighbour skews the figures.
      ctx.report["other_cpu_s"] =
          Json(std::max(0.0, machine_after - machine_before - cpu - stats.client_cpu_seconds));
    }
  }

  int64_t unexpected = 0;
  const std::string codes = StatusJson(name, stats, expected, &unexpected);
  std::string line = absl::StrFormat(
      "{\"scenario\":\"%s\",\"target\":\"%s\",\"inflight\":%d,\"threads\":%d,\"channels\":%d,"
      "\"warmup_s\":%s,\"duration_s\":%s,\"calls\":%d,\"throughput\":%.1f,"
      "\"ok_calls\":%d,\"ok_throughput\":%.1f,\"latency_ms\":%s,"
      "\"status\":{%s},\"unexpected\":%d,\"unmeasured_calls\":%d,\"request_bytes\":%d,"
      "\"setup_s\":%s,\"client_cpu_s\":%s",
      name, target, inflight, std::min(load.threads, inflight), absl::GetFlag(FLAGS_channels),
      Json(absl::ToDoubleSeconds(load.warmup)), Json(stats.window_seconds), stats.measured_calls,
      static_cast<double>(stats.measured_calls) / stats.window_seconds, stats.measured_ok,
      static_cast<double>(stats.measured_ok) / stats.window_seconds, LatencyJson(stats.latency),
      codes, unexpected, stats.unmeasured_calls, scenario->request_bytes(), Json(setup_seconds),
      Json(stats.client_cpu_seconds));
  print_extra(&line);
  // The victim's own figures. Only OK is expected of it: a cheap read refused or failed
  // under someone else's flood is the unfairness being measured, not an allowed answer.
  int64_t victim_unexpected = 0;
  if (victim != nullptr) {
    victim->Report(victim_ctx);
    const std::string victim_codes =
        StatusJson(absl::StrCat("victim ", victim_name), victim_stats, {0}, &victim_unexpected);
    absl::StrAppendFormat(
        &line,
        ",\"victim\":{\"scenario\":\"%s\",\"inflight\":%d,\"channels\":1,\"calls\":%d,"
        "\"throughput\":%.1f,\"latency_ms\":%s,\"status\":{%s},\"unexpected\":%d",
        victim_name, absl::GetFlag(FLAGS_victim_inflight), victim_stats.measured_calls,
        static_cast<double>(victim_stats.measured_calls) / victim_stats.window_seconds,
        LatencyJson(victim_stats.latency), victim_codes, victim_unexpected);
    for (const auto& [key, value] : victim_ctx.report) {
      absl::StrAppend(&line, ",\"", key, "\":", value);
    }
    line += "}";
  }
  std::cout << line << "}" << std::endl;
  if (stats.measured_calls == 0) {
    std::cerr << "d06_loadgen: " << name << ": no call completed in the measured window\n";
    return 1;
  }
  if (victim != nullptr && victim_stats.measured_calls == 0) {
    // No percentiles to report (an empty histogram would read as 0 ms): the flood held
    // the victim's call past the whole window.
    std::cerr << "d06_loadgen: victim " << victim_name
              << ": no call completed in the measured window\n";
    return 1;
  }
  return unexpected == 0 && victim_unexpected == 0 ? 0 : 1;
}

}  // namespace
}  // namespace d06::loadgen

int main(int argc, char** argv) { return d06::loadgen::Main(argc, argv); }
