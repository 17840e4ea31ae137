#include "server/d06d/server.h"

#include <errno.h>
#include <limits.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "common/dates.h"
#include "common/log.h"
#include "grpc/grpc.h"
#include "grpc/health/v1/health.pb.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/resource_quota.h"
#include "server/api/access_log.h"
#include "server/api/connection_cap.h"
#include "server/api/core_methods.h"
#include "server/api/grpc_services.h"
#include "server/api/host_port.h"
#include "server/api/http_transport.h"
#include "server/api/metrics.h"
#include "server/api/principal_authenticator.h"
#include "server/api/principal_limits.h"
#include "server/api/tls.h"
#include "server/core/core.h"
#include "server/core/watch_hub.h"
#include "server/d06d/fd_budget.h"
#include "server/d06d/periodic_job.h"
#include "server/domain/dates.h"
#include "server/domain/timeliness.h"
#include "storage/keys.h"
#include "storage/status_macros.h"
#include "storage/store.h"

namespace d06 {
namespace {

// How long Shutdown() lets in-flight calls finish before cancelling them.
constexpr absl::Duration kShutdownGrace = absl::Seconds(10);

// The benchmark's ceiling (ServerOptions::benchmark_pipeline): one small key, a batch
// of bookkeeping (no revision, no event), written and synced as every write.
api::PipelineWrite PipelineWriteOf(Store* store) {
  return [store](std::function<void(absl::Status)> done) {
    store->Submit(
        [](Txn& txn) {
          txn.Put(Cf::kMeta, keys::kMetaBenchmarkPipeline, "1");
          txn.SetBookkeeping();
          return absl::OkStatus();
        },
        std::move(done));
  };
}

WatchHub::Options WatchOptionsOf(const ServerOptions& options) {
  WatchHub::Options watch;
  watch.max_pending_events = static_cast<size_t>(options.watch_max_pending_events);
  watch.max_stall = options.stream_stall_timeout;
  return watch;
}
// Exports (server-streaming CSV) running at once; more are RESOURCE_EXHAUSTED.
constexpr int kMaxExports = 8;
// The background jobs' steps (server/d06d/periodic_job.h): a catch-up of deadline
// crossings (after downtime, or a plan imported with past deadlines) takes about 2,000 a
// second, retention about 10,000 events a second: a small share of the writer.
constexpr size_t kCrossingsPerWrite = 200;
constexpr size_t kEventsRemovedPerWrite = 1000;
constexpr absl::Duration kJobPause = absl::Milliseconds(100);
// How long no call may arrive before Shutdown() takes every client to be waiting for an
// answer held by the gate (server/api/call_gate.h), and none to be still on its way.
constexpr absl::Duration kShutdownQuiet = absl::Milliseconds(100);
// The memory gRPC's connections may hold together (grpc::ResourceQuota).
constexpr size_t kGrpcMemory = size_t{1} << 30;
// Bulk reads (lists, searches, reports) waiting for a thread; more are SERVER_BUSY.
constexpr int kBulkReadQueue = 64;
// Threads for bulk reads: half of the cores, so that the others keep serving point reads
// and writes under a flood of them (server/api/admission.h).
int BulkReadThreads() {
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / 2);
}
// A gRPC connection that has not completed its HTTP/2 handshake after this long is
// closed (gRPC's default is 120 s: long enough for idle sockets to pile up to the cap).
constexpr absl::Duration kHandshakeTimeout = absl::Seconds(10);

// Creates the data directory when it is missing, readable by its owner only (0700,
// whatever the umask; the store's files are 0600, storage/store.h); warns when an
// existing one is open to other users.
absl::Status PrepareDataDir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  const bool existed = fs::exists(dir, error);
  if (!existed) {
    const fs::path parent = fs::path(dir).parent_path();
    if (!parent.empty()) fs::create_directories(parent, error);
    if (!error && mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      error = std::error_code(errno, std::generic_category());
    }
    if (!error) fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, error);
    if (error) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot create data directory ", dir, ": ", error.message()));
    }
    return absl::OkStatus();
  }
  const fs::perms perms = fs::status(dir, error).permissions();
  if (!error && (perms & (fs::perms::group_all | fs::perms::others_all)) != fs::perms::none) {
    log::Warning(absl::StrFormat(
        "data directory %s is open to other users of this machine (mode %o): chmod 700 it", dir,
        static_cast<int>(perms)));
  }
  return absl::OkStatus();
}

// The gRPC health service's view of the store: NOT_SERVING once the store has failed
// stop, whether that happens before or after gRPC starts.
class StoreHealth {
 public:
  // `service` serves "" and `names` from now on, unless the store has failed already.
  void Attach(grpc::HealthCheckServiceInterface* service, std::vector<std::string> names) {
    absl::MutexLock lock(&mu_);
    service_ = service;
    names.push_back("");
    for (const std::string& name : names) service_->SetServingStatus(name, !failed_);
  }
  // Store::Options::on_fail_stop.
  void Failed() {
    absl::MutexLock lock(&mu_);
    failed_ = true;
    if (service_ != nullptr) service_->SetServingStatus(false);
  }
  void Detach() {
    absl::MutexLock lock(&mu_);
    service_ = nullptr;
    detached_ = true;
  }
  // What health says for "": serving until the store fails or the server shuts down.
  bool Serving() {
    absl::MutexLock lock(&mu_);
    return !failed_ && !detached_;
  }

 private:
  absl::Mutex mu_;
  grpc::HealthCheckServiceInterface* service_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool failed_ ABSL_GUARDED_BY(mu_) = false;
  bool detached_ ABSL_GUARDED_BY(mu_) = false;
};

// The HTTP face's options; the connection cap as set (Start sets it from the file budget
// before serving), else HttpServerOptions' own.
api::HttpOptions HttpOptionsOf(const ServerOptions& options) {
  api::HttpOptions http;
  http.cors_origins = options.http_cors_origins;
  http.allowed_hosts = options.http_allowed_hosts;
  if (options.http_max_connections > 0) http.server.max_connections = options.http_max_connections;
  http.server.idle_timeout = options.http_idle_timeout;
  http.server.read_timeout = options.http_read_timeout;
  http.server.write_timeout = options.http_write_timeout;
  if (options.clock != nullptr) http.clock = options.clock;
  return http;
}

// The addresses served and whether each is loopback only.
std::vector<std::string> ListenAddresses(const ServerOptions& options) {
  std::vector<std::string> out = {options.listen_address};
  if (!options.http_listen_address.empty()) out.push_back(options.http_listen_address);
  return out;
}

// Authentication off only on loopback; plaintext only on loopback or behind a mesh that
// encrypts (network_encrypted); TLS files in pairs; a client CA only with TLS.
absl::Status CheckSecurityOptions(const ServerOptions& options) {
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert and --tls_key go together: give both (PEM files of the server's "
        "certificate chain and its private key) or neither");
  }
  const bool tls = !options.tls_cert.empty();
  if (!options.client_ca.empty() && !tls) {
    return absl::InvalidArgumentError(
        "--client_ca verifies client certificates during the TLS handshake: it needs "
        "--tls_cert and --tls_key as well");
  }
  if (options.max_token_lifetime < absl::Minutes(1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--max_token_lifetime must be at least 1m, not ",
                     absl::FormatDuration(options.max_token_lifetime)));
  }
  for (const std::string& address : ListenAddresses(options)) {
    std::string host, port;
    if (!api::SplitHostPort(address, &host, &port) || api::IsLoopbackHost(host)) continue;
    if (options.auth == AuthMode::kOff) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--auth=off is development mode (every caller may do everything under any name) "
          "and listens on loopback only, not on ",
          address, ": listen on 127.0.0.1 or turn authentication on (--auth=required)"));
    }
    if (!tls && !options.network_encrypted) {
      return absl::InvalidArgumentError(absl::StrCat(
          "refusing to serve ", address,
          " without TLS: tokens and data would cross the network in the clear; add "
          "--tls_cert=FILE --tls_key=FILE (and --client_ca=FILE for agency systems' client "
          "certificates), or, when a service mesh already encrypts every connection to this "
          "process, --network_encrypted"));
    }
  }
  return absl::OkStatus();
}

class ServerImpl final : public Server {
 public:
  // `tls`: null for plaintext.
  ServerImpl(std::unique_ptr<Store> store, std::shared_ptr<StoreHealth> health,
             std::shared_ptr<api::Metrics> metrics, std::shared_ptr<api::TlsFiles> tls,
             const ServerOptions& options)
      : tls_(std::move(tls)),
        health_(std::move(health)),
        metrics_(std::move(metrics)),
        store_(std::move(store)),
        core_(store_.get(),
              CoreOptions{options.due_soon_days, options.clock ? options.clock : Clock::System(),
                          options.max_extensions, options.event_retention_revisions,
                          absl::Hours(24) * options.event_retention_days,
                          options.max_token_lifetime}),
        hub_(std::make_unique<WatchHub>(store_.get(), WatchOptionsOf(options))),
        streams_(kMaxExports),
        watches_(options.max_watchers),
        admission_(std::make_unique<api::Admission>(
            api::Admission::Options{BulkReadThreads(), kBulkReadQueue})),
        methods_(api::NewCoreMethodTable(
            &core_, {&streams_, hub_.get(), &watches_, options.stream_stall_timeout})),
        services_(api::NewGrpcServices(*methods_)),
        unknown_methods_(api::NewUnknownMethodService(
            *methods_, options.benchmark_pipeline ? PipelineWriteOf(store_.get()) : nullptr)),
        deadline_scan_interval_(options.deadline_scan_interval),
        event_retention_interval_(options.event_retention_interval),
        backup_interval_(options.backup_interval),
        backup_keep_(options.backup_keep) {
    if (options.auth == AuthMode::kRequired) {
      api::PrincipalAuthenticator::Options auth;
      auth.clock = options.clock ? options.clock : Clock::System();
      if (tls_ != nullptr && !options.client_ca.empty()) {
        auth.verify_certificate = [tls = tls_](absl::string_view pem) {
          return tls->VerifyClientCertificate(pem);
        };
      }
      authenticator_ = std::make_unique<api::PrincipalAuthenticator>(&core_, std::move(auth));
      methods_->set_authenticator(authenticator_.get());
      api::PrincipalLimiter::Options limits;
      // Checked by Start.
      (void)api::ParseRateLimits(options.rate_limits, &limits.limits);
      limits.max_principals = static_cast<size_t>(options.rate_limit_principals);
      // Rates run on the real clock: a test's clock moves by days.
      limits.clock = Clock::System();
      limiter_ = std::make_unique<api::PrincipalLimiter>(std::move(limits));
      methods_->set_rate_limiter(limiter_.get());
    }
    if (options.log_calls) methods_->add_observer(&access_log_);
    methods_->set_gate(&gate_);
    methods_->set_admission(admission_.get());
    methods_->add_observer(metrics_.get());
    methods_->set_stream_limits(
        {options.max_watchers_per_connection, options.max_exports_per_connection,
         options.max_watchers_per_principal, options.max_exports_per_principal});
  }

  ~ServerImpl() override { Shutdown(); }

  absl::Status ServeHttp(const ServerOptions& options) {
    if (options.http_listen_address.empty()) return absl::OkStatus();
    api::HttpOptions http = HttpOptionsOf(options);
    http.serving = [health = health_] { return health->Serving(); };
    http.server.tls = tls_;
    ASSIGN_OR_RETURN(http_,
                     api::HttpTransport::Start(*methods_, options.http_listen_address, http));
    return absl::OkStatus();
  }

  // The metrics listener (server/api/metrics.h), and what the metrics read at scrapes.
  absl::Status ServeMetrics(const ServerOptions& options) {
    api::MetricsSources sources;
    sources.store = store_.get();
    sources.hub = hub_.get();
    sources.data_dir = options.data_dir;
    sources.tls = tls_.get();
    sources.crossings_recorded = [this] { return deadline_counters_.items.load(); };
    sources.events_removed = [this] { return retention_counters_.items.load(); };
    sources.scheduler_lag = [this] {
      return absl::Now() - absl::FromUnixNanos(deadline_counters_.caught_up_unix_nanos.load());
    };
    metrics_->Attach(std::move(sources));
    if (options.metrics_listen_address.empty()) return absl::OkStatus();
    api::HttpServerOptions http;
    http.tls = tls_;
    ASSIGN_OR_RETURN(metrics_listener_, api::MetricsListener::Start(
                                            options.metrics_listen_address, http, metrics_.get(),
                                            [health = health_] { return health->Serving(); }));
    return absl::OkStatus();
  }

  absl::Status Serve(const ServerOptions& options, const FdBudget& budget) {
    const std::string& address = options.listen_address;
    budget_ = budget;
    // gRPC's health service does not put its messages in the descriptor pool, which server
    // reflection reads; proto/grpc/health/v1/health.proto does, once linked in (this
    // reference keeps the linker from dropping it from the static library).
    (void)grpc::health::v1::HealthCheckRequest::descriptor();
    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    grpc::ServerBuilder builder;
    // gRPC sets SO_REUSEPORT by default: a second d06d on the same port would then serve
    // half of the connections from another data directory instead of failing to start.
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
                               static_cast<int>(absl::ToInt64Milliseconds(kHandshakeTimeout)));
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS,
                               static_cast<int>(std::min<int64_t>(
                                   absl::ToInt64Milliseconds(options.grpc_idle_timeout), INT_MAX)));
    builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                               options.grpc_max_streams_per_connection);
    // gRPC's buffers, all connections together: under pressure gRPC shrinks its reads and
    // then drops connections, rather than growing d06d without bound.
    grpc::ResourceQuota quota("d06d-grpc");
    quota.Resize(kGrpcMemory);
    builder.SetResourceQuota(quota);
    builder.AddListeningPort(
        address, tls_ ? tls_->GrpcCredentials() : grpc::InsecureServerCredentials(), &port_);
    for (const auto& service : services_) builder.RegisterService(service.get());
    builder.RegisterCallbackGenericService(unknown_methods_.get());
    // The cap is in place before gRPC accepts anything when the port is known.
    std::string host, port_text;
    int requested_port = 0;
    if (api::SplitHostPort(address, &host, &port_text) &&
        absl::SimpleAtoi(port_text, &requested_port) && requested_port != 0) {
      connection_cap_ = api::ConnectionCap::OnPort(requested_port, budget.grpc_connections);
    }
    grpc_ = builder.BuildAndStart();
    if (grpc_ == nullptr || port_ == 0) {
      return api::WhyCannotListen(address, "gRPC could not start a server on it (see its log)");
    }
    if (connection_cap_ == nullptr) {
      connection_cap_ = api::ConnectionCap::OnPort(port_, budget.grpc_connections);
    }
    std::vector<std::string> names;
    for (const auto* service : methods_->services()) names.push_back(service->full_name());
    health_->Attach(grpc_->GetHealthCheckService(), std::move(names));
    Core* core = &core_;
    scheduler_ = std::make_unique<PeriodicJob>(
        [core](size_t limit) { return core->RecordDeadlineCrossings(limit); },
        PeriodicJob::Options{"recording deadline events", kCrossingsPerWrite, kJobPause,
                             deadline_scan_interval_, &deadline_counters_});
    retention_ = std::make_unique<PeriodicJob>(
        [core](size_t limit) { return core->RemoveOldEvents(limit); },
        PeriodicJob::Options{"removing old events", kEventsRemovedPerWrite, kJobPause,
                             event_retention_interval_, &retention_counters_});
    if (backup_interval_ > absl::ZeroDuration()) {
      Store* store = store_.get();
      const int keep = backup_keep_;
      backups_ = std::make_unique<PeriodicJob>(
          [store, keep](size_t) -> absl::StatusOr<int> {
            absl::StatusOr<Store::BackupInfo> backup = store->CreateBackup();
            if (!backup.ok()) return backup.status();
            log::Info("backup taken", {{"backup", absl::StrCat(backup->id)},
                                       {"revision", absl::StrCat(backup->revision)},
                                       {"bytes", absl::StrCat(backup->size)}});
            if (keep > 0) RETURN_IF_ERROR(store->PurgeOldBackups(keep));
            return 0;  // one backup is the whole run
          },
          PeriodicJob::Options{"backing up", 1, kJobPause, backup_interval_});
    }
    return absl::OkStatus();
  }

  absl::StatusOr<int> RecordDeadlineCrossings() override {
    if (scheduler_ == nullptr) return absl::UnavailableError("the server is not serving");
    return scheduler_->RunOnce();
  }

  absl::Status ReloadCertificates() override {
    if (tls_ == nullptr) {
      return absl::FailedPreconditionError(
          "TLS is off (no --tls_cert and --tls_key): there are no certificates to reload");
    }
    return tls_->Reload();
  }

  absl::StatusOr<int> RemoveOldEvents() override {
    if (retention_ == nullptr) return absl::UnavailableError("the server is not serving");
    return retention_->RunOnce();
  }

  int port() const override { return port_; }
  int http_port() const override { return http_ ? http_->port() : 0; }
  int metrics_port() const override { return metrics_listener_ ? metrics_listener_->port() : 0; }
  const FdBudget& budget() const override { return budget_; }
  const api::MethodTable& methods() const override { return *methods_; }

  void Shutdown() override {
    {
      absl::MutexLock lock(&mu_);
      if (shutting_down_) {
        mu_.Await(absl::Condition(&stopped_));
        return;
      }
      shutting_down_ = true;
    }
    scheduler_.reset();  // before the store closes under their writes
    retention_.reset();
    backups_.reset();
    // A call must never see CANCELLED, which gRPC gives every call it has not handed to a
    // service yet when it shuts down, and which clients do not retry (see
    // server/api/call_gate.h).
    if (grpc_) {
      const absl::Time deadline = absl::Now() + kShutdownGrace;
      // 1. No new call reaches the core: the gate holds them; health says NOT_SERVING.
      gate_.Close();
      hub_->Close();  // watches end UNAVAILABLE at once, telling where to resume
      health_->Detach();
      grpc_->GetHealthCheckService()->Shutdown();
      // 2. Calls in flight are answered, writes queued on the store's writer included.
      gate_.AwaitDrained(kShutdownQuiet, deadline);
      // 3. gRPC stops listening and sends GOAWAY on every connection (this call returns
      //    once it has; grpc::Server::Shutdown would block until every call is done).
      grpc_completion_queue* shutdown_cq = grpc_completion_queue_create_for_next(nullptr);
      grpc_server_shutdown_and_notify(grpc_->c_server(), shutdown_cq, this);
      // 4. The held calls are answered UNAVAILABLE, after the GOAWAY on their connection.
      gate_.Release();
      // 5. Waits for those answers (cancelling what is left at the deadline).
      grpc_->Shutdown(absl::ToChronoTime(deadline));
      grpc_->Wait();
      grpc_completion_queue_shutdown(shutdown_cq);
      while (grpc_completion_queue_next(shutdown_cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), nullptr)
                 .type != GRPC_QUEUE_SHUTDOWN) {
      }
      grpc_completion_queue_destroy(shutdown_cq);
    }
    // The HTTP calls held by the gate were answered UNAVAILABLE at its release.
    if (http_) http_->Shutdown();
    // Scraped until here (/readyz has said "not ready" since step 1); nothing reads the
    // store or the hub for metrics once they start to go.
    if (metrics_listener_) metrics_listener_->Shutdown();
    metrics_->Detach();
    // Every call is answered, and every export and bulk read has left the core, before
    // RocksDB closes under them.
    admission_.reset();
    streams_.Join();
    hub_->Close();  // (when gRPC never started)
    watches_.Join();
    hub_.reset();
    store_.reset();
    absl::MutexLock lock(&mu_);
    stopped_ = true;
  }

  void Wait() override {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&stopped_));
  }

 private:
  // TLS on both ports (null: plaintext), and the verifier of client certificates
  // (tls_->VerifyClientCertificate). Declared first: gRPC calls into it on every new
  // connection until the server is gone.
  const std::shared_ptr<api::TlsFiles> tls_;
  api::CallGate gate_;  // outlives the calls it holds and counts
  const std::shared_ptr<StoreHealth> health_;
  const std::shared_ptr<api::Metrics> metrics_;  // fed by the store's writer too
  std::unique_ptr<Store> store_;
  Core core_;
  std::unique_ptr<WatchHub> hub_;              // the change feed; closed before the store
  api::StreamWorkers streams_;                 // exports; joined before the store closes
  api::StreamWorkers watches_;                 // watches; joined before the hub goes
  std::unique_ptr<api::Admission> admission_;  // bulk reads; drained before the store closes
  std::unique_ptr<api::PrincipalAuthenticator> authenticator_;  // null: --auth=off
  std::unique_ptr<api::PrincipalLimiter> limiter_;              // null: --auth=off
  api::AccessLog access_log_;
  std::unique_ptr<api::MethodTable> methods_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<grpc::CallbackGenericService> unknown_methods_;
  std::unique_ptr<grpc::Server> grpc_;
  std::unique_ptr<api::ConnectionCap> connection_cap_;  // lifted after gRPC has stopped
  std::unique_ptr<api::HttpTransport> http_;
  const absl::Duration deadline_scan_interval_;
  const absl::Duration event_retention_interval_;
  const absl::Duration backup_interval_;
  const int backup_keep_;
  // What the jobs did, read by the metrics; outlive the jobs.
  PeriodicJob::Counters deadline_counters_;
  PeriodicJob::Counters retention_counters_;
  std::unique_ptr<PeriodicJob> scheduler_;
  std::unique_ptr<PeriodicJob> retention_;
  std::unique_ptr<PeriodicJob> backups_;  // null: no --backup_interval
  std::unique_ptr<api::MetricsListener> metrics_listener_;
  int port_ = 0;
  FdBudget budget_;
  absl::Mutex mu_;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerOptions& options) {
  if (options.data_dir.empty()) return absl::InvalidArgumentError("--data_dir is required");
  RETURN_IF_ERROR(ValidateDueSoonDays(options.due_soon_days));
  if (options.deadline_scan_interval < absl::Milliseconds(1)) {
    return absl::InvalidArgumentError("--deadline_scan_interval must be at least 1ms");
  }
  if (options.block_cache_mb < 1 || options.block_cache_mb > 65536) {
    return absl::InvalidArgumentError(
        absl::StrCat("--block_cache_mb must be within 1..65536, not ", options.block_cache_mb));
  }
  if (options.event_retention_revisions != 0 && options.event_retention_revisions < 10000) {
    return absl::InvalidArgumentError(
        absl::StrCat("--event_retention_revisions must be 0 (no limit) or at least 10000, not ",
                     options.event_retention_revisions));
  }
  if (options.event_retention_days < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--event_retention_days must be 0 (no limit) or more, not ", options.event_retention_days));
  }
  if (options.backup_interval > absl::ZeroDuration() && options.backup_dir.empty()) {
    return absl::InvalidArgumentError("--backup_interval needs --backup_dir");
  }
  if (options.backup_keep < 0) {
    return absl::InvalidArgumentError("--backup_keep must be 0 (keep all) or more");
  }
  if (options.event_retention_interval < absl::Milliseconds(1)) {
    return absl::InvalidArgumentError("--event_retention_interval must be at least 1ms");
  }
  if (options.max_watchers < 1 || options.watch_max_pending_events < 100) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--max_watchers must be at least 1 and --watch_max_pending_events at least 100, not ",
        options.max_watchers, " and ", options.watch_max_pending_events));
  }
  if (options.max_extensions < 0 || options.max_extensions > 100) {
    return absl::InvalidArgumentError(
        absl::StrCat("--max_extensions must be within 0..100, not ", options.max_extensions));
  }
  std::string host, port;
  if (!api::SplitHostPort(options.listen_address, &host, &port)) {
    return api::NotAHostPort(options.listen_address);
  }
  if (!options.http_listen_address.empty() &&
      !api::SplitHostPort(options.http_listen_address, &host, &port)) {
    return api::NotAHostPort(options.http_listen_address);
  }
  RETURN_IF_ERROR(api::CheckHttpOptions(HttpOptionsOf(options)));
  RETURN_IF_ERROR(CheckSecurityOptions(options));
  if (options.grpc_idle_timeout < absl::Seconds(1) ||
      options.stream_stall_timeout < absl::Milliseconds(100)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--grpc_idle_timeout must be at least 1s and --stream_stall_timeout at least 100ms, not ",
        absl::FormatDuration(options.grpc_idle_timeout), " and ",
        absl::FormatDuration(options.stream_stall_timeout)));
  }
  if (options.grpc_max_streams_per_connection < 1 || options.max_watchers_per_connection < 1 ||
      options.max_exports_per_connection < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--grpc_max_streams_per_connection, --max_watchers_per_connection and "
        "--max_exports_per_connection must be at least 1, not ",
        options.grpc_max_streams_per_connection, ", ", options.max_watchers_per_connection, " and ",
        options.max_exports_per_connection));
  }
  if (options.max_watchers_per_principal < 1 || options.max_exports_per_principal < 1 ||
      options.rate_limit_principals < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--max_watchers_per_principal, --max_exports_per_principal and "
                     "--rate_limit_principals must be at least 1, not ",
                     options.max_watchers_per_principal, ", ", options.max_exports_per_principal,
                     " and ", options.rate_limit_principals));
  }
  {
    api::RateLimits limits;
    RETURN_IF_ERROR(api::ParseRateLimits(options.rate_limits, &limits));
  }
  ASSIGN_OR_RETURN(const FdBudget budget, PlanFdBudget(FileLimit(), options.grpc_max_connections,
                                                       options.http_max_connections,
                                                       !options.http_listen_address.empty()));
  std::shared_ptr<api::TlsFiles> tls;
  if (!options.tls_cert.empty()) {
    ASSIGN_OR_RETURN(tls,
                     api::TlsFiles::Load({options.tls_cert, options.tls_key, options.client_ca}));
  }
  RETURN_IF_ERROR(PrepareDataDir(options.data_dir));
  auto health = std::make_shared<StoreHealth>();
  Store::Options store_options{options.data_dir};
  store_options.file_system = options.file_system;
  store_options.block_cache_bytes = static_cast<size_t>(options.block_cache_mb) << 20;
  store_options.max_open_files = budget.store_table_files;
  store_options.on_fail_stop = [health](const absl::Status&) { health->Failed(); };
  store_options.backup_dir = options.backup_dir;
  auto metrics = std::make_shared<api::Metrics>();
  store_options.on_group = [metrics](const GroupStats& group) { metrics->OnGroup(group); };
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, Store::Open(store_options));
  auto server = std::make_unique<ServerImpl>(std::move(store), health, std::move(metrics),
                                             std::move(tls), options);
  RETURN_IF_ERROR(server->Serve(options, budget));
  RETURN_IF_ERROR(server->ServeMetrics(options));
  ServerOptions with_caps = options;
  with_caps.http_max_connections = budget.http_connections;
  RETURN_IF_ERROR(server->ServeHttp(with_caps));
  return server;
}

absl::StatusOr<std::string> BootstrapAdmin(const ServerOptions& options, const std::string& id,
                                           const std::string& display_name, bool force) {
  if (options.data_dir.empty()) return absl::InvalidArgumentError("--data_dir is required");
  RETURN_IF_ERROR(PrepareDataDir(options.data_dir));
  Store::Options store_options{options.data_dir};
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(store_options);
  if (!store.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot open ", options.data_dir, " (", store.status().message(),
                     "); if d06d is serving it, stop d06d first: bootstrap-admin writes the data "
                     "directory itself"));
  }
  CoreOptions core_options;
  core_options.clock = options.clock ? options.clock : Clock::System();
  core_options.max_token_lifetime = options.max_token_lifetime;
  Core core(store->get(), core_options);
  return core.BootstrapAdmin(id, display_name, options.max_token_lifetime, force);
}

absl::StatusOr<Store::Restored> RestoreBackup(const ServerOptions& options,
                                              const std::string& backup_dir, uint32_t backup_id) {
  if (backup_dir.empty()) return absl::InvalidArgumentError("--from=BACKUP_DIR is required");
  Store::RestoreOptions restore;
  restore.backup_dir = backup_dir;
  restore.backup_id = backup_id;
  restore.data_dir = options.data_dir;
  return Store::Restore(restore);
}

absl::StatusOr<ConsistencyReport> VerifyDataDir(const ServerOptions& options,
                                                std::optional<int64_t> past_day) {
  std::error_code error;
  if (options.data_dir.empty() || !std::filesystem::is_directory(options.data_dir, error) ||
      std::filesystem::is_empty(options.data_dir, error)) {
    return absl::NotFoundError(absl::StrCat("no data directory at ", options.data_dir));
  }
  Store::Options store_options{options.data_dir};
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, Store::Open(store_options));
  RETURN_IF_ERROR(store->VerifyChecksums());
  ConsistencyOptions check;
  check.due_soon_days = options.due_soon_days;
  check.today = DayNumber(TodayInVietnam(options.clock ? *options.clock : *Clock::System()));
  check.past_day = past_day;
  return CheckConsistency(*store->Snapshot(), check);
}

}  // namespace d06
