#include "server/api/metrics.h"

#include <sys/resource.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "common/build_info.h"
#include "d06/v1/api_names.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "server/api/http_transport.h"
#include "server/domain/errors.h"

namespace d06::api {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

absl::string_view TransportName(CallContext::Transport transport) {
  return transport == CallContext::Transport::kGrpc ? "grpc" : "connect";
}

// By Method::Kind.
constexpr const char* kKindNames[] = {"write", "point_read", "bulk_read", "export", "watch"};

// One sample of a family read at scrape time.
struct Sample {
  std::vector<ClientMetric::Label> labels;
  double value = 0;
};

// A family of scrape-time samples (counters and gauges).
MetricFamily FamilyOf(std::string name, std::string help, MetricType type,
                      std::vector<Sample> samples) {
  MetricFamily family{std::move(name), std::move(help), type, {}};
  for (Sample& sample : samples) {
    ClientMetric metric;
    metric.label = std::move(sample.labels);
    if (type == MetricType::Counter) {
      metric.counter.value = sample.value;
    } else {
      metric.gauge.value = sample.value;
    }
    family.metric.push_back(std::move(metric));
  }
  return family;
}

MetricFamily One(std::string name, std::string help, MetricType type, double value) {
  return FamilyOf(std::move(name), std::move(help), type, {{{}, value}});
}

// The process, as Prometheus' client libraries name it (process_*), from /proc/self.
void AddProcess(std::vector<MetricFamily>* out) {
  std::ifstream stat_file("/proc/self/stat");
  const std::string stat((std::istreambuf_iterator<char>(stat_file)),
                         std::istreambuf_iterator<char>());
  // The fields after the command name (which may hold spaces), from field 3 (state) on.
  const size_t paren = stat.rfind(')');
  if (paren != std::string::npos) {
    const std::vector<absl::string_view> fields =
        absl::StrSplit(absl::string_view(stat).substr(paren + 2), ' ', absl::SkipEmpty());
    // Field n of proc(5) is fields[n - 3]: utime 14, stime 15, starttime 22, vsize 23,
    // rss 24.
    auto field = [&fields](size_t n) {
      double value = 0;
      return n - 3 < fields.size() && absl::SimpleAtod(fields[n - 3], &value) ? value : 0.0;
    };
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    out->push_back(One("process_cpu_seconds_total", "User and system CPU time spent in seconds.",
                       MetricType::Counter, (field(14) + field(15)) / ticks));
    out->push_back(One("process_resident_memory_bytes", "Resident memory size in bytes.",
                       MetricType::Gauge, field(24) * page));
    out->push_back(One("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                       MetricType::Gauge, field(23)));
    // The start in ticks after boot; boot time (btime) from /proc/stat.
    std::ifstream proc_stat("/proc/stat");
    std::string line;
    while (std::getline(proc_stat, line)) {
      absl::string_view rest = line;
      double boot = 0;
      if (absl::ConsumePrefix(&rest, "btime ") && absl::SimpleAtod(rest, &boot)) {
        out->push_back(One("process_start_time_seconds",
                           "Start time of the process since unix epoch in seconds.",
                           MetricType::Gauge, boot + field(22) / ticks));
        break;
      }
    }
  }
  std::error_code error;
  double open = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", error), end; !error && it != end;
       it.increment(error)) {
    ++open;
  }
  out->push_back(
      One("process_open_fds", "Number of open file descriptors.", MetricType::Gauge, open));
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    out->push_back(One("process_max_fds", "Maximum number of open file descriptors.",
                       MetricType::Gauge, static_cast<double>(limit.rlim_cur)));
  }
}

}  // namespace

// The families fed as things happen.
struct Metrics::Calls {
  explicit Calls(prometheus::Registry& registry)
      : calls(prometheus::BuildCounter()
                  .Name("d06_calls_total")
                  .Help("Calls answered by the method table, by service, method, transport "
                        "(grpc, connect) and gRPC status code.")
                  .Register(registry)),
        latency(prometheus::BuildHistogram()
                    .Name("d06_call_duration_seconds")
                    .Help("Time from the call point to the answer of unary calls, by method.")
                    .Register(registry)),
        refused(prometheus::BuildCounter()
                    .Name("d06_refused_requests_total")
                    .Help("Requests a transport refused before the method table, by transport "
                          "and reason (malformed, too_large, unsupported_media_type, "
                          "unknown_method, busy).")
                    .Register(registry)),
        auth_failures(prometheus::BuildCounter()
                          .Name("d06_authentication_failures_total")
                          .Help("Calls refused UNAUTHENTICATED, by reason.")
                          .Register(registry)),
        rate_limited(prometheus::BuildCounter()
                         .Name("d06_rate_limited_calls_total")
                         .Help("Calls refused over their principal's rate budget "
                               "(RESOURCE_EXHAUSTED/RATE_LIMITED).")
                         .Register(registry)
                         .Add({})),
        wal_fsync(
            prometheus::BuildHistogram()
                .Name("d06_wal_fsync_duration_seconds")
                .Help("Time of each write-ahead log sync of the store's writer (one per "
                      "group), buckets as etcd_disk_wal_fsync_duration_seconds.")
                .Register(registry)
                // etcd's: 2^i ms, 1 ms to 8.192 s.
                .Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.002, 0.004, 0.008, 0.016,
                                                                 0.032, 0.064, 0.128, 0.256, 0.512,
                                                                 1.024, 2.048, 4.096, 8.192})),
        group_size(prometheus::BuildHistogram()
                       .Name("d06_writer_group_size")
                       .Help("Mutations in each group the store's writer ran (one WAL sync "
                             "covers a group).")
                       .Register(registry)
                       .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128,
                                                                        256, 512, 1024})) {}

  prometheus::Family<prometheus::Counter>& calls;
  prometheus::Family<prometheus::Histogram>& latency;
  prometheus::Family<prometheus::Counter>& refused;
  prometheus::Family<prometheus::Counter>& auth_failures;
  prometheus::Counter& rate_limited;
  prometheus::Histogram& wal_fsync;
  prometheus::Histogram& group_size;
};

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      calls_(std::make_unique<Calls>(*registry_)) {}

Metrics::~Metrics() = default;

void Metrics::Attach(MetricsSources sources) {
  absl::MutexLock lock(&sources_mu_);
  sources_ = std::move(sources);
}

void Metrics::Detach() {
  absl::MutexLock lock(&sources_mu_);
  sources_ = MetricsSources();
}

prometheus::Counter& Metrics::CallCounter(const CallRecord& record) {
  const auto key = std::make_tuple(record.method, static_cast<int>(record.transport),
                                   static_cast<int>(record.status.code()));
  {
    absl::ReaderMutexLock lock(&cache_mu_);
    if (auto it = counters_.find(key); it != counters_.end()) return *it->second;
  }
  const auto* descriptor = record.method->descriptor;
  prometheus::Counter& counter =
      calls_->calls.Add({{"service", descriptor->service()->full_name()},
                         {"method", descriptor->name()},
                         {"transport", std::string(TransportName(record.transport))},
                         {"code", absl::StatusCodeToString(record.status.code())}});
  absl::MutexLock lock(&cache_mu_);
  counters_.emplace(key, &counter);
  return counter;
}

prometheus::Histogram& Metrics::Latency(const Method& method) {
  {
    absl::ReaderMutexLock lock(&cache_mu_);
    if (auto it = latencies_.find(&method); it != latencies_.end()) return *it->second;
  }
  // 0.5 ms to 10 s: point reads take well under a millisecond, durable writes a WAL sync.
  prometheus::Histogram& histogram = calls_->latency.Add(
      {{"service", method.descriptor->service()->full_name()},
       {"method", method.descriptor->name()}},
      prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                              0.25, 0.5, 1, 2.5, 5, 10});
  absl::MutexLock lock(&cache_mu_);
  latencies_.emplace(&method, &histogram);
  return histogram;
}

void Metrics::CallStarted(const Method& method) {
  in_flight_[static_cast<int>(method.kind)].fetch_add(1, std::memory_order_relaxed);
}

void Metrics::CallEnded(const CallRecord& record) {
  const Method& method = *record.method;
  in_flight_[static_cast<int>(method.kind)].fetch_sub(1, std::memory_order_relaxed);
  CallCounter(record).Increment();
  if (!method.server_streaming()) {
    Latency(method).Observe(absl::ToDoubleSeconds(record.duration));
  }
  if (record.status.code() == absl::StatusCode::kUnauthenticated) {
    calls_->auth_failures.Add({{"reason", ErrorReason(record.status)}}).Increment();
  } else if (record.status.code() == absl::StatusCode::kResourceExhausted &&
             ErrorReason(record.status) == v1::reason::kRateLimited) {
    calls_->rate_limited.Increment();
  }
}

void Metrics::CallRefused(CallContext::Transport transport, Refusal why) {
  calls_->refused
      .Add({{"transport", std::string(TransportName(transport))},
            {"reason", std::string(RefusalName(why))}})
      .Increment();
}

void Metrics::OnGroup(const GroupStats& group) {
  calls_->group_size.Observe(static_cast<double>(group.mutations));
  if (group.sync_time) calls_->wal_fsync.Observe(absl::ToDoubleSeconds(*group.sync_time));
}

std::string Metrics::Scrape() const {
  std::vector<MetricFamily> families = registry_->Collect();
  auto add = [&families](std::string name, std::string help, MetricType type, double value) {
    families.push_back(One(std::move(name), std::move(help), type, value));
  };
  {
    std::vector<Sample> in_flight;
    static_assert(std::size(kKindNames) == kKinds);
    for (int kind = 0; kind < kKinds; ++kind) {
      in_flight.push_back({{{"kind", kKindNames[kind]}},
                           static_cast<double>(in_flight_[kind].load(std::memory_order_relaxed))});
    }
    families.push_back(FamilyOf("d06_calls_in_flight",
                                "Calls being served, by kind (write, point_read, bulk_read, "
                                "export, watch).",
                                MetricType::Gauge, std::move(in_flight)));
    add("d06_exports_running", "CSV exports being streamed.", MetricType::Gauge,
        static_cast<double>(in_flight_[static_cast<int>(Method::Kind::kExport)].load()));
  }
  {
    absl::MutexLock lock(&sources_mu_);
    if (const Store* store = sources_.store) {
      const Store::Stats stats = store->stats();
      add("d06_writer_queue_depth", "Mutations waiting for the store's writer.", MetricType::Gauge,
          static_cast<double>(stats.queued));
      add("d06_writer_mutations_total", "Mutations the store's writer ran.", MetricType::Counter,
          static_cast<double>(stats.mutations));
      add("d06_writer_batches_total", "Atomic batches the store's writer wrote.",
          MetricType::Counter, static_cast<double>(stats.batches));
      add("d06_writer_wal_syncs_total", "Write-ahead log syncs of the store's writer.",
          MetricType::Counter, static_cast<double>(stats.syncs));
      add("d06_store_fail_stopped",
          "1 once the store failed stop (a write or WAL sync failed): writes are refused "
          "until d06d restarts.",
          MetricType::Gauge, store->failure().ok() ? 0 : 1);
      const Store::EngineStats engine = store->engine_stats();
      add("d06_rocksdb_live_data_bytes", "RocksDB's estimate of the live data size.",
          MetricType::Gauge, static_cast<double>(engine.live_data_bytes));
      add("d06_rocksdb_sst_files_bytes", "Size of RocksDB's table (SST) files.", MetricType::Gauge,
          static_cast<double>(engine.sst_files_bytes));
      add("d06_rocksdb_memtable_bytes", "Size of RocksDB's memtables.", MetricType::Gauge,
          static_cast<double>(engine.memtable_bytes));
      add("d06_rocksdb_pending_compaction_bytes",
          "RocksDB's estimate of the bytes compaction has to rewrite.", MetricType::Gauge,
          static_cast<double>(engine.pending_compaction_bytes));
      add("d06_rocksdb_block_cache_usage_bytes", "Memory held by RocksDB's block cache.",
          MetricType::Gauge, static_cast<double>(engine.block_cache_bytes));
      add("d06_rocksdb_write_stalls_total",
          "Writes RocksDB slowed down or stopped because flushes or compactions fell behind.",
          MetricType::Counter, static_cast<double>(engine.write_stalls));
    }
    if (const WatchHub* hub = sources_.hub) {
      add("d06_watchers", "Watch streams registered with the change feed.", MetricType::Gauge,
          static_cast<double>(hub->watchers()));
      add("d06_watch_events_sent_total", "Events sent to watchers.", MetricType::Counter,
          static_cast<double>(hub->events_sent()));
      add("d06_watchers_fell_behind_total",
          "Times a watcher fell --watch_max_pending_events behind and read from the log.",
          MetricType::Counter, static_cast<double>(hub->fell_behind()));
      add("d06_watchers_cut_off_total",
          "Watches ended because their client took no response for --stream_stall_timeout "
          "(WATCHER_TOO_SLOW).",
          MetricType::Counter, static_cast<double>(hub->cut_off()));
    }
    if (struct statvfs fs;
        !sources_.data_dir.empty() && statvfs(sources_.data_dir.c_str(), &fs) == 0) {
      add("d06_data_filesystem_avail_bytes",
          "Space left to d06d on the file system of its data directory.", MetricType::Gauge,
          static_cast<double>(fs.f_bavail) * static_cast<double>(fs.f_frsize));
      add("d06_data_filesystem_size_bytes", "Size of the file system of d06d's data directory.",
          MetricType::Gauge, static_cast<double>(fs.f_blocks) * static_cast<double>(fs.f_frsize));
    }
    if (sources_.tls != nullptr) {
      add("d06_tls_certificate_expiry_timestamp_seconds",
          "When the server's TLS certificate in use expires, in seconds since the Unix epoch.",
          MetricType::Gauge,
          static_cast<double>(absl::ToUnixSeconds(sources_.tls->Current()->not_after)));
    }
    if (sources_.crossings_recorded) {
      add("d06_deadline_crossings_recorded_total",
          "Deadline queue entries the deadline scheduler handled (due-soon and overdue "
          "crossings).",
          MetricType::Counter, static_cast<double>(sources_.crossings_recorded()));
    }
    if (sources_.scheduler_lag) {
      add("d06_deadline_scheduler_lag_seconds",
          "Time since the deadline scheduler last had no crossing left to record.",
          MetricType::Gauge, absl::ToDoubleSeconds(sources_.scheduler_lag()));
    }
    if (sources_.events_removed) {
      add("d06_retention_events_removed_total", "Events the event retention removed.",
          MetricType::Counter, static_cast<double>(sources_.events_removed()));
    }
  }
  families.push_back(FamilyOf("d06_build_info", "The d06d build: version and source revision.",
                              MetricType::Gauge,
                              {{{{"version", BuildVersion()}, {"revision", BuildRevision()}}, 1}}));
  AddProcess(&families);
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

absl::StatusOr<std::unique_ptr<MetricsListener>> MetricsListener::Start(
    const std::string& address, HttpServerOptions options, const Metrics* metrics,
    std::function<bool()> ready) {
  // A scraper and two probes: a few workers are plenty.
  options.threads = 2;
  options.max_queued = 16;
  options.max_request_bytes = 4096;
  options.max_connections = 16;  // outside d06d's file budget (server/d06d/fd_budget.h)
  auto server = HttpServer::Start(
      address, options,
      [metrics, ready = std::move(ready)](const HttpRequest& req, HttpResponse& res) {
        if (req.method != "GET" && req.method != "HEAD") {
          res.status = 405;
          res.set_header("Allow", "GET");
          return;
        }
        const absl::string_view path = absl::StripPrefix(req.path, "/");
        if (ServeProbe(path, ready, res)) return;
        if (path != "metrics") {
          res.status = 404;
          res.set_content("not found: this listener serves /metrics, /livez and /readyz\n",
                          "text/plain; charset=utf-8");
          return;
        }
        res.set_header("Cache-Control", "no-store");
        res.set_content(metrics->Scrape(), "text/plain; version=0.0.4; charset=utf-8");
      },
      [](int status, absl::string_view why, HttpResponse& res) {
        res.status = status;
        res.set_content(std::string(why) + "\n", "text/plain; charset=utf-8");
      });
  if (!server.ok()) return server.status();
  return std::unique_ptr<MetricsListener>(new MetricsListener(*std::move(server)));
}

}  // namespace d06::api
