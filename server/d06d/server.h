// d06::Server: the d06d process minus main(): opens the store, serves the gRPC services
// (UnitService, TaskService, ReportService, EventService, gRPC health and server
// reflection) and the same methods over Connect HTTP/JSON with the province dashboard
// (server/api/http_transport.h), Prometheus metrics and the probes /livez and /readyz
// on a listener of their own (server/api/metrics.h), runs the background jobs and shuts
// down cleanly.
//
// Health (grpc.health.v1.Health, for "" and each service name) is SERVING until the
// server shuts down, or until the store fails stop (a write or WAL sync failed, e.g. on a
// full disk; storage/store.h): from then on every write is UNAVAILABLE, reads are still
// served, and health says NOT_SERVING until the process is restarted.
//
// Example:
//   d06::ServerOptions options;
//   options.listen_address = "127.0.0.1:0";   // any free port
//   options.data_dir = "/var/lib/d06";
//   auto server = d06::Server::Start(options);
//   if (!server.ok()) { ... }
//   std::cout << "listening on port " << (*server)->port();
//   (*server)->Wait();            // until Shutdown() from another thread
//
// Thread-safe: Shutdown() may be called from any thread, more than once.
#ifndef D06_SERVER_D06D_SERVER_H_
#define D06_SERVER_D06D_SERVER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/d06d/fd_budget.h"
#include "server/domain/clock.h"
#include "server/model/consistency.h"
#include "storage/store.h"

namespace rocksdb {
class FileSystem;
}  // namespace rocksdb

namespace d06 {

namespace api {
class MethodTable;
}  // namespace api

// Whether calls must carry a verified identity.
enum class AuthMode {
  // Every call needs a bearer token or a client certificate of an active principal.
  kRequired,
  // Development only: the caller names itself in x-d06-actor; refused on any address but
  // loopback.
  kOff,
};

struct ServerOptions {
  // Authentication (README, "Production"). kRequired unless development.
  AuthMode auth = AuthMode::kRequired;
  // TLS on both ports: the server's certificate (with its chain) and key, PEM files; both
  // empty: plaintext, which Start refuses on a non-loopback address unless
  // network_encrypted. Reloaded when the files change and on ReloadCertificates().
  std::string tls_cert;
  std::string tls_key;
  // CA certificates (PEM) that sign agency systems' client certificates: the TLS
  // handshake then asks for a client certificate (optional: token callers send none), and
  // a presented one must chain to this CA. Needs tls_cert.
  std::string client_ca;
  // The network between clients and this server is already encrypted (a service mesh's
  // sidecar terminates TLS): plaintext is then allowed on non-loopback addresses.
  bool network_encrypted = false;
  // The longest lifetime a new token may have.
  absl::Duration max_token_lifetime = absl::Hours(24 * 90);
  // host:port to listen on; port 0 picks a free port (see Server::port()).
  std::string listen_address = "127.0.0.1:50051";
  // host:port to serve the Connect HTTP/JSON API and the dashboard on; port 0 picks a
  // free port (see Server::http_port()); empty: no HTTP.
  std::string http_listen_address = "127.0.0.1:8080";
  // host:port to serve Prometheus metrics at /metrics, and the probes /livez and /readyz,
  // on (server/api/metrics.h), apart from the API so that a scraper can reach them
  // without reaching the API (as etcd's --listen-metrics-urls); port 0 picks a free port
  // (see Server::metrics_port()); empty: none (d06d's --metrics_listen defaults to
  // 127.0.0.1:9464). TLS as the API's when tls_cert is set.
  std::string metrics_listen_address;
  // Browser origins allowed to call the HTTP API (CORS), e.g.
  // "https://portal.example.gov.vn"; "*" any; empty: none. A malformed one is
  // INVALID_ARGUMENT (api::HttpOptions::cors_origins).
  std::vector<std::string> http_cors_origins;
  // Host names the HTTP face answers for beyond the loopback names and the host of
  // http_listen_address (a request naming another Host is refused: DNS rebinding), e.g.
  // "d06.example.gov.vn" (api::HttpOptions::allowed_hosts).
  std::vector<std::string> http_allowed_hosts;
  // HTTP deadlines (api::HttpOptions): a connection without a request in progress is
  // closed after http_idle_timeout; a request must arrive within http_read_timeout of its
  // first line; an answer must be taken within http_write_timeout.
  absl::Duration http_idle_timeout = absl::Seconds(5);
  absl::Duration http_read_timeout = absl::Seconds(30);
  absl::Duration http_write_timeout = absl::Seconds(30);
  // RocksDB data directory; created if missing. Required.
  std::string data_dir;
  // An open assignment whose deadline is at most this many days away is DUE_SOON.
  int due_soon_days = 3;
  // RocksDB's block cache in MiB (1..65536): the index blocks reads and reports touch
  // stay uncompressed in memory.
  int block_cache_mb = 256;
  // Extensions an assignment may have approved (0..100).
  int max_extensions = 2;
  // How often the deadline scheduler looks for due-soon and overdue crossings (it also
  // runs at start-up); a crossing is recorded at most this long after its day begins.
  absl::Duration deadline_scan_interval = absl::Minutes(1);
  // Event retention (0: no limit): keep the events of the newest this many revisions
  // (at least 10,000) and of at least this many days. Removed events leave the task
  // histories and the change feed; reports never read them.
  int64_t event_retention_revisions = 0;
  int event_retention_days = 0;
  // How often retention looks for events to remove (it also runs at start-up).
  absl::Duration event_retention_interval = absl::Minutes(10);
  // Backups (AdminService, README "Back up and restore"): the BackupEngine directory
  // (empty: backups off); a backup every backup_interval (zero: only when asked), after
  // which all but the newest backup_keep are deleted (0: all kept).
  std::string backup_dir;
  absl::Duration backup_interval = absl::ZeroDuration();
  int backup_keep = 0;
  // Watchers of the change feed at once (each holds a thread); more are
  // RESOURCE_EXHAUSTED/TOO_MANY_WATCHERS.
  int max_watchers = 1000;
  // Events a watcher may fall behind before it reads from the log instead of a queue.
  int watch_max_pending_events = 10000;
  // Connections each port keeps open at once (0: chosen from the open-files limit,
  // server/d06d/fd_budget.h); a connection beyond is closed at once (gRPC: after a GOAWAY
  // saying so). Caps and the store's files must fit the limit, or Start fails.
  int grpc_max_connections = 0;
  int http_max_connections = 0;
  // A gRPC connection without calls is sent GOAWAY after this long (clients reconnect
  // when they next call); one that has not completed the HTTP/2 handshake is closed
  // after kHandshakeTimeout.
  absl::Duration grpc_idle_timeout = absl::Minutes(5);
  // Streams one gRPC connection may have open at once (HTTP/2 MAX_CONCURRENT_STREAMS),
  // and of them watches and exports; beyond, RESOURCE_EXHAUSTED.
  int grpc_max_streams_per_connection = 100;
  int max_watchers_per_connection = 16;
  int max_exports_per_connection = 2;
  // Limits per principal, with authentication on (README, "Production", "Limits per
  // principal"; server/api/principal_limits.h). Request rates as --rate_limits takes
  // them: empty: the defaults (api::RateLimits); "off": none; else comma-separated
  // ROLE=READS/BURST:WRITES/BURST for the roles to change, e.g. "viewer=10/50:1/10". A
  // malformed one is INVALID_ARGUMENT.
  std::string rate_limits;
  // Principals whose rates are tracked at once (idle ones are forgotten first).
  int rate_limit_principals = 100000;
  // One log line per call (server/api/access_log.h); d06d's --log_calls.
  bool log_calls = false;
  // For the benchmark only (scripts/bench_grpc.sh, its ceiling row): serve
  // /d06.bench.Pipeline/Write, which writes one small key through the writer, group
  // commit and WAL sync without authentication (api::kPipelineWriteMethod).
  bool benchmark_pipeline = false;
  // Watches and exports one principal may have open at once (a portal's count for all
  // the people it acts for); beyond, RESOURCE_EXHAUSTED/TOO_MANY_WATCHERS, TOO_MANY_EXPORTS.
  int max_watchers_per_principal = 8;
  int max_exports_per_principal = 2;
  // An export whose client has taken nothing for this long is ended (its client sees
  // CANCELLED), freeing its slot; a watch, with RESOURCE_EXHAUSTED/WATCHER_TOO_SLOW.
  absl::Duration stream_stall_timeout = absl::Seconds(30);
  // Source of "now"; null means the system clock. Not owned; must outlive the server.
  const Clock* clock = nullptr;
  // For tests only (Store::Options::file_system): the file system the store writes
  // through, e.g. one whose disk fills up on demand; null is the real one.
  std::shared_ptr<rocksdb::FileSystem> file_system = nullptr;
};

class Server {
 public:
  // Opens the data directory and starts serving. Errors: INVALID_ARGUMENT (bad options;
  // "cannot listen on A: not a host:port" unless A is host:port or [ipv6]:port),
  // UNAVAILABLE "cannot listen on A: address in use" when another process listens on A
  // (port reuse is off, so a second d06d cannot share a running one's port) or another
  // reason the address cannot be bound, and storage errors from opening the database.
  static absl::StatusOr<std::unique_ptr<Server>> Start(const ServerOptions& options);

  virtual ~Server() = default;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The port actually bound.
  virtual int port() const = 0;
  // The HTTP port actually bound; 0 when HTTP is off.
  virtual int http_port() const = 0;
  // The metrics port actually bound; 0 when metrics are off.
  virtual int metrics_port() const = 0;
  // How the open-files limit is shared (server/d06d/fd_budget.h).
  virtual const FdBudget& budget() const = 0;
  // The method table gRPC and HTTP serve (server/api/method_table.h), for fuzz targets
  // that call it without a transport (HttpTransport::NewHandler).
  virtual const api::MethodTable& methods() const = 0;
  // Stops admitting calls (health NOT_SERVING), lets in-flight calls finish (writes
  // queued on the store included; up to a grace period), answers the calls that arrived
  // meanwhile UNAVAILABLE "the server is shutting down; retry" once gRPC has told their
  // clients to leave (never CANCELLED; see server/api/call_gate.h), then closes the
  // database. Idempotent.
  virtual void Shutdown() = 0;
  // Blocks until Shutdown() has completed.
  virtual void Wait() = 0;
  // Records now the due-soon and overdue events that are due (the scheduler does it at
  // start-up and every deadline_scan_interval); returns how many queue entries it took.
  virtual absl::StatusOr<int> RecordDeadlineCrossings() = 0;
  // Reads the TLS certificate, key and client CA files again (d06d does on SIGHUP; they
  // are also reloaded within a few seconds of changing). On an error the current ones
  // stay in use.
  virtual absl::Status ReloadCertificates() = 0;
  // Runs the event retention now (it runs at start-up and every
  // event_retention_interval); returns how many events it removed.
  virtual absl::StatusOr<int> RemoveOldEvents() = 0;

 protected:
  Server() = default;
};

// `d06d bootstrap-admin`: creates the first administrator in the data directory of
// `options` (which no running d06d may hold: RocksDB locks it) as principal `id`
// ("principals/{id}", a PERSON of no unit with ROLE_ADMIN over every unit, unit "*"),
// and a bearer token for it expiring after options.max_token_lifetime; returns the
// token's secret, which is shown nowhere else. Recorded in the audit log as done by
// "d06d". FAILED_PRECONDITION when an active administrator of every unit exists, unless
// `force`; ALREADY_EXISTS when the id is taken; UNAVAILABLE when a d06d holds the
// directory.
absl::StatusOr<std::string> BootstrapAdmin(const ServerOptions& options, const std::string& id,
                                           const std::string& display_name, bool force);

// `d06d restore`: restores backup `backup_id` (0: the newest) of `backup_dir` into the
// empty or absent options.data_dir, its revisions bumped past any a client may have seen
// (Store::RestoreOptions). FAILED_PRECONDITION for a non-empty directory; NOT_FOUND for
// no such backup.
absl::StatusOr<Store::Restored> RestoreBackup(const ServerOptions& options,
                                              const std::string& backup_dir, uint32_t backup_id);

// `d06d verify`: the consistency check of options.data_dir (which no running d06d may
// hold), RocksDB's checksums first; `past_day` as ConsistencyOptions::past_day.
absl::StatusOr<ConsistencyReport> VerifyDataDir(const ServerOptions& options,
                                                std::optional<int64_t> past_day);

}  // namespace d06

#endif  // D06_SERVER_D06D_SERVER_H_
