// d06d: the d06 server. Serves until SIGTERM or SIGINT, then stops accepting, finishes
// in-flight calls and closes the database.
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/time.h"
#include "common/flags_usage.h"
#include "server/api/principal_limits.h"
#include "server/d06d/server.h"

namespace {

std::string DefaultDataDir() {
  const char* xdg = std::getenv("XDG_DATA_HOME");
  if (xdg != nullptr && *xdg != '\0') return std::string(xdg) + "/d06";
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr && *home != '\0' ? home : ".") + "/.local/share/d06";
}

}  // namespace

ABSL_FLAG(std::string, auth, "required",
          "required: every call needs a bearer token or a client certificate of an active "
          "principal (README, \"Production\"); off: development mode, the caller names "
          "itself in x-d06-actor, loopback addresses only");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM file of the server's certificate (and chain): TLS on both ports; reloaded when "
          "it changes and on SIGHUP");
ABSL_FLAG(std::string, tls_key, "", "PEM file of the private key of --tls_cert");
ABSL_FLAG(std::string, client_ca, "",
          "PEM file of the CA(s) that sign agency systems' client certificates: clients may "
          "then authenticate with a certificate (mutual TLS); needs --tls_cert");
ABSL_FLAG(bool, network_encrypted, false,
          "a service mesh already encrypts every connection to this process: serve plaintext "
          "on non-loopback addresses (logged at start-up)");
ABSL_FLAG(absl::Duration, max_token_lifetime, absl::Hours(24 * 90),
          "the longest lifetime a new bearer token may be given");
ABSL_FLAG(std::string, name, "",
          "bootstrap-admin: the first administrator's display name, e.g. \"Quản trị viên\"");
ABSL_FLAG(std::string, id, "admin", "bootstrap-admin: the first administrator's principal id");
ABSL_FLAG(bool, force, false,
          "bootstrap-admin: create the administrator even when one of every unit exists");
ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "host:port to serve gRPC on");
ABSL_FLAG(std::string, http_listen, "127.0.0.1:8080",
          "host:port to serve the Connect HTTP/JSON API and the dashboard on; empty: none");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:9464",
          "host:port to serve Prometheus metrics (/metrics) and the probes /livez and /readyz "
          "on, apart from the API; empty: none");
ABSL_FLAG(std::vector<std::string>, http_cors_origins, {},
          "browser origins allowed to call the HTTP API, comma-separated, each "
          "scheme://host[:port] (e.g. https://portal.example.gov.vn); \"*\": any site (warned)");
ABSL_FLAG(std::vector<std::string>, http_allowed_hosts, {},
          "host names the HTTP API answers for besides localhost, 127.0.0.1, [::1] and the "
          "--http_listen host, comma-separated (e.g. d06.example.gov.vn); a request whose Host "
          "header names another is refused 403 (DNS rebinding)");
ABSL_FLAG(absl::Duration, http_idle_timeout, absl::Seconds(5),
          "an HTTP connection without a request in progress is closed after this long");
ABSL_FLAG(absl::Duration, http_read_timeout, absl::Seconds(30),
          "an HTTP request's header and body must arrive within this long of its first line");
ABSL_FLAG(absl::Duration, http_write_timeout, absl::Seconds(30),
          "an HTTP client must take its answer within this long, else it is cut off");
ABSL_FLAG(std::string, data_dir, "",
          "RocksDB data directory (default $XDG_DATA_HOME/d06 or ~/.local/share/d06)");
ABSL_FLAG(int, due_soon_days, 3, "an open assignment due within this many days is DUE_SOON");
ABSL_FLAG(absl::Duration, deadline_scan_interval, absl::Minutes(1),
          "how often to record due-soon and overdue events whose day has come");
ABSL_FLAG(int, block_cache_mb, 256,
          "RocksDB block cache in MiB: index blocks that lists and reports read stay in memory");
ABSL_FLAG(int, max_extensions, 2,
          "extensions (gia hạn) an assignment may have approved; a request beyond is refused");
ABSL_FLAG(int64_t, event_retention_revisions, 0,
          "keep the events (audit history, change feed) of the newest this many revisions; "
          "0: no limit, else at least 10000");
ABSL_FLAG(int, event_retention_days, 0,
          "keep the events (audit history, change feed) of at least this many days; 0: no limit");
ABSL_FLAG(absl::Duration, event_retention_interval, absl::Minutes(10),
          "how often to remove the events that retention no longer keeps");
ABSL_FLAG(int, max_watchers, 1000, "change-feed watchers served at once");
ABSL_FLAG(int, watch_max_pending_events, 10000,
          "events a watcher may fall behind the writes before it is cut off (WATCHER_TOO_SLOW)");

ABSL_FLAG(int, grpc_max_connections, 0,
          "gRPC connections kept open at once; beyond, a new one is closed at once (0: chosen "
          "from the open-files limit)");
ABSL_FLAG(int, http_max_connections, 0,
          "HTTP connections kept open at once; beyond, a new one is refused (0: chosen from the "
          "open-files limit)");
ABSL_FLAG(absl::Duration, grpc_idle_timeout, absl::Minutes(5),
          "a gRPC connection without calls for this long is sent GOAWAY");
ABSL_FLAG(int, grpc_max_streams_per_connection, 100,
          "calls one gRPC connection may have open at once (HTTP/2 MAX_CONCURRENT_STREAMS)");
ABSL_FLAG(int, max_watchers_per_connection, 16,
          "change-feed watchers one gRPC connection may have at once");
ABSL_FLAG(int, max_exports_per_connection, 2, "exports one gRPC connection may run at once");
ABSL_FLAG(std::string, rate_limits, "",
          "calls a second per principal (authentication on), by its highest role or as a "
          "portal: comma-separated ROLE=READS/BURST:WRITES/BURST for the roles to change, "
          "ROLE one of viewer, member, coordinator, admin, portal (e.g. "
          "\"viewer=10/50:1/10\"); \"off\": no rate limit; empty: the defaults "
          "viewer=20/100:2/20, member=20/100:5/50, coordinator=20/100:10/100, "
          "admin=50/200:20/200, portal=200/1000:50/500. Beyond: RESOURCE_EXHAUSTED/RATE_LIMITED "
          "(HTTP 429 with Retry-After)");
ABSL_FLAG(int, rate_limit_principals, 100000,
          "principals whose call rates are tracked at once (idle ones are forgotten first)");
ABSL_FLAG(int, max_watchers_per_principal, 8,
          "change-feed watchers one principal may have at once (a portal: for everyone it "
          "acts for)");
ABSL_FLAG(int, max_exports_per_principal, 2,
          "exports one principal may run at once (a portal: for everyone it acts for)");
ABSL_FLAG(absl::Duration, stream_stall_timeout, absl::Seconds(30),
          "an export whose client takes nothing for this long is ended");

// `d06d bootstrap-admin --data_dir=DIR --name=NAME [--id=ID] [--force]`: prints the first
// administrator's token on stdout (and nothing else there).
int BootstrapAdmin(const std::string& data_dir) {
  d06::ServerOptions options;
  options.data_dir = data_dir;
  options.max_token_lifetime = absl::GetFlag(FLAGS_max_token_lifetime);
  const std::string name = absl::GetFlag(FLAGS_name);
  if (name.empty()) {
    std::cerr << "d06d bootstrap-admin: --name is required: the administrator's display name, "
                 "e.g. --name=\"Quản trị viên\"\n";
    return 2;
  }
  absl::StatusOr<std::string> token =
      d06::BootstrapAdmin(options, absl::GetFlag(FLAGS_id), name, absl::GetFlag(FLAGS_force));
  if (!token.ok()) {
    std::cerr << "d06d bootstrap-admin: " << token.status().message() << "\n";
    return 1;
  }
  std::cerr << "d06d bootstrap-admin: created principals/" << absl::GetFlag(FLAGS_id)
            << " (ROLE_ADMIN over every unit) in " << data_dir
            << ". Its token, below, is shown only now and expires in "
            << absl::FormatDuration(options.max_token_lifetime)
            << ": keep it in a file only you can read (d06ctl --token_file), create "
               "principals and tokens with it (d06ctl access ...), then revoke it.\n";
  std::cout << *token << std::endl;
  return 0;
}

int main(int argc, char** argv) {
  d06::InitFlagsUsage(
      __FILE__,
      "the Đề án 06 task-tracking server (gRPC over an embedded RocksDB "
      "database).\n"
      "Usage: d06d [--listen=host:port] [--data_dir=DIR] [--auth=required|off] [--tls_cert=F "
      "--tls_key=F [--client_ca=F]] ...\n"
      "       d06d bootstrap-admin --data_dir=DIR --name=NAME [--id=admin] [--force]");
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  if (data_dir.empty()) data_dir = DefaultDataDir();
  if (positional.size() == 2 && std::string(positional[1]) == "bootstrap-admin") {
    return BootstrapAdmin(data_dir);
  }
  if (positional.size() > 1) {
    std::cerr << "d06d: unknown command \"" << positional[1]
              << "\"; the only command is bootstrap-admin (d06d --help)\n";
    return 2;
  }

  // Signals are taken by sigwait below, not by whichever thread they hit.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  d06::ServerOptions options;
  const std::string auth = absl::GetFlag(FLAGS_auth);
  if (auth != "required" && auth != "off") {
    std::cerr << "d06d: --auth must be required or off, not \"" << auth << "\"\n";
    return 1;
  }
  options.auth = auth == "off" ? d06::AuthMode::kOff : d06::AuthMode::kRequired;
  options.tls_cert = absl::GetFlag(FLAGS_tls_cert);
  options.tls_key = absl::GetFlag(FLAGS_tls_key);
  options.client_ca = absl::GetFlag(FLAGS_client_ca);
  options.network_encrypted = absl::GetFlag(FLAGS_network_encrypted);
  options.max_token_lifetime = absl::GetFlag(FLAGS_max_token_lifetime);
  options.listen_address = absl::GetFlag(FLAGS_listen);
  options.http_listen_address = absl::GetFlag(FLAGS_http_listen);
  options.metrics_listen_address = absl::GetFlag(FLAGS_metrics_listen);
  options.http_cors_origins = absl::GetFlag(FLAGS_http_cors_origins);
  options.http_allowed_hosts = absl::GetFlag(FLAGS_http_allowed_hosts);
  options.http_idle_timeout = absl::GetFlag(FLAGS_http_idle_timeout);
  options.http_read_timeout = absl::GetFlag(FLAGS_http_read_timeout);
  options.http_write_timeout = absl::GetFlag(FLAGS_http_write_timeout);
  options.data_dir = data_dir;
  options.due_soon_days = absl::GetFlag(FLAGS_due_soon_days);
  options.max_extensions = absl::GetFlag(FLAGS_max_extensions);
  options.block_cache_mb = absl::GetFlag(FLAGS_block_cache_mb);
  options.deadline_scan_interval = absl::GetFlag(FLAGS_deadline_scan_interval);
  options.event_retention_revisions = absl::GetFlag(FLAGS_event_retention_revisions);
  options.event_retention_days = absl::GetFlag(FLAGS_event_retention_days);
  options.event_retention_interval = absl::GetFlag(FLAGS_event_retention_interval);
  options.max_watchers = absl::GetFlag(FLAGS_max_watchers);
  options.watch_max_pending_events = absl::GetFlag(FLAGS_watch_max_pending_events);
  options.grpc_max_connections = absl::GetFlag(FLAGS_grpc_max_connections);
  options.http_max_connections = absl::GetFlag(FLAGS_http_max_connections);
  options.grpc_idle_timeout = absl::GetFlag(FLAGS_grpc_idle_timeout);
  options.grpc_max_streams_per_connection = absl::GetFlag(FLAGS_grpc_max_streams_per_connection);
  options.max_watchers_per_connection = absl::GetFlag(FLAGS_max_watchers_per_connection);
  options.max_exports_per_connection = absl::GetFlag(FLAGS_max_exports_per_connection);
  options.stream_stall_timeout = absl::GetFlag(FLAGS_stream_stall_timeout);
  options.rate_limits = absl::GetFlag(FLAGS_rate_limits);
  options.rate_limit_principals = absl::GetFlag(FLAGS_rate_limit_principals);
  options.max_watchers_per_principal = absl::GetFlag(FLAGS_max_watchers_per_principal);
  options.max_exports_per_principal = absl::GetFlag(FLAGS_max_exports_per_principal);
  // Connections are capped below the limit (server/d06d/fd_budget.h): the higher it is,
  // the more of them d06d serves.
  const int64_t soft_limit = d06::FileLimit();
  d06::RaiseFileLimit();

  if (geteuid() == 0) {
    std::cerr << "d06d: WARNING: running as root: a flaw in d06d or a library it uses would "
                 "give the whole machine away; run it as an unprivileged user (as "
                 "deploy/d06d.service and the container image do)\n";
  }
  auto server = d06::Server::Start(options);
  if (!server.ok()) {
    std::cerr << "d06d: " << server.status() << "\n";
    return 1;
  }
  const d06::FdBudget& budget = (*server)->budget();
  std::cerr << "d06d: open files: limit " << budget.limit;
  if (soft_limit != budget.limit) std::cerr << " (raised from " << soft_limit << ")";
  std::cerr << "; the store keeps at most " << budget.store_table_files + d06::kStoreOverhead
            << "; gRPC takes at most " << budget.grpc_connections << " connections, HTTP at most "
            << budget.http_connections << "\n";
  if (options.auth == d06::AuthMode::kOff) {
    std::cerr << "d06d: WARNING: --auth=off: DEVELOPMENT MODE, NO AUTHENTICATION: every caller "
                 "may do everything and names itself in x-d06-actor; loopback only\n";
  } else {
    std::cerr << "d06d: authentication required: bearer tokens"
              << (options.client_ca.empty() ? "" : " and client certificates") << "\n";
    d06::api::RateLimits limits;
    (void)d06::api::ParseRateLimits(options.rate_limits, &limits);  // checked by Start
    std::cerr << "d06d: per principal: calls a second " << d06::api::FormatRateLimits(limits)
              << " (reads/burst:writes/burst); " << options.max_watchers_per_principal
              << " watchers and " << options.max_exports_per_principal << " exports\n";
  }
  if (options.tls_cert.empty()) {
    std::cerr << "d06d: " << (options.network_encrypted ? "WARNING: " : "") << "plaintext (no TLS)"
              << (options.network_encrypted
                      ? ": --network_encrypted says a service mesh encrypts every connection"
                      : ": loopback only")
              << "\n";
  } else {
    std::cerr << "d06d: TLS on both ports: " << options.tls_cert
              << (options.client_ca.empty() ? "" : "; client certificates verified against ")
              << options.client_ca << "\n";
  }
  std::cerr << "d06d: data directory " << options.data_dir << "\n"
            << "d06d: serving gRPC on port " << (*server)->port() << " (" << options.listen_address
            << ")" << std::endl;
  for (const std::string& origin : options.http_cors_origins) {
    if (origin != "*" || (*server)->http_port() == 0) continue;
    std::cerr << "d06d: WARNING: --http_cors_origins=*: every web site may call the HTTP API "
                 "from its visitors' browsers, with their network access and without "
                 "authentication; list the portals' origins instead\n";
    break;
  }
  if ((*server)->http_port() != 0) {
    std::cerr << "d06d: serving HTTP on port " << (*server)->http_port() << " ("
              << options.http_listen_address << "): the Connect API and the dashboard at /"
              << std::endl;
  }

  if ((*server)->metrics_port() != 0) {
    std::cerr << "d06d: serving metrics on port " << (*server)->metrics_port() << " ("
              << options.metrics_listen_address << "): /metrics, /livez, /readyz" << std::endl;
  }

  int signal_number = 0;
  while (sigwait(&signals, &signal_number) == 0 && signal_number == SIGHUP) {
    const absl::Status reloaded = (*server)->ReloadCertificates();
    std::cerr << "d06d: SIGHUP: " << (reloaded.ok() ? "certificates reloaded" : reloaded.ToString())
              << std::endl;
  }
  std::cerr << "d06d: signal " << signal_number << ", shutting down" << std::endl;
  (*server)->Shutdown();
  std::cerr << "d06d: stopped cleanly" << std::endl;
  return 0;
}
