// d06d: the d06 server. Serves until SIGTERM or SIGINT, then stops accepting, finishes
// in-flight calls and closes the database.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/flags_usage.h"
#include "common/log.h"
#include "server/api/principal_limits.h"
#include "server/d06d/config.h"
#include "server/d06d/port_file.h"
#include "server/d06d/server.h"

// The release, from the project's version in CMakeLists.txt.
#ifndef D06_VERSION
#define D06_VERSION "unknown"
#endif

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
ABSL_FLAG(std::string, backup_dir, "",
          "where backups go (RocksDB BackupEngine: incremental, checksummed), ideally another "
          "disk; empty: backups off. Take them with d06ctl admin create-backup or "
          "--backup_interval");
ABSL_FLAG(absl::Duration, backup_interval, absl::ZeroDuration(),
          "take a backup at start-up and then this often (needs --backup_dir); 0: only when "
          "asked");
ABSL_FLAG(int, backup_keep, 0,
          "after each scheduled backup, delete all but the newest this many; 0: keep all");
ABSL_FLAG(std::string, from, "", "restore: the backup directory to restore from");
ABSL_FLAG(int, backup_id, 0, "restore: the backup to restore (0: the newest)");
ABSL_FLAG(std::string, past_date, "",
          "verify: recount the report counters as of this day (YYYY-MM-DD); empty: a day "
          "halfway through the event log");
ABSL_FLAG(int, max_watchers, 1000, "change-feed watchers served at once");
ABSL_FLAG(int, watch_max_pending_events, 10000,
          "events a watcher may fall behind the writes before the feed reads its events from "
          "the log instead of queueing them");

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
          "an export or watch whose client takes nothing for this long is ended");

// Configuration and logs (server/d06d/config.h, common/log.h).
ABSL_FLAG(std::string, config, "",
          "a configuration file: one --name=value a line (# comments), below the environment "
          "(D06_ and the flag's name in upper case, e.g. D06_DATA_DIR) and the command line");
ABSL_FLAG(bool, print_config, false,
          "print every flag's effective value and where it came from (flag, env D06_..., "
          "FILE:LINE or default), then exit");
ABSL_FLAG(std::string, log_level, "info",
          "the least important lines logged: debug, info, warning or error");
ABSL_FLAG(std::string, log_format, "text",
          "text: \"d06d: [LEVEL: ]message key=value...\" lines; json: one JSON object a line "
          "with ts, level, msg and the fields");
ABSL_FLAG(bool, benchmark_pipeline, false,
          "for the benchmark only: serve /d06.bench.Pipeline/Write, one small write through "
          "the writer and the WAL sync without authentication (scripts/bench_grpc.sh)");
ABSL_FLAG(bool, log_timestamps, false,
          "text lines start with their UTC time (journald, Kubernetes and docker stamp the "
          "lines they collect already)");
ABSL_FLAG(bool, log_calls, true,
          "one line per call at info level: method, code, duration_ms, principal, request_id, "
          "peer, bytes_in, bytes_out (never a credential or a request's content); written in "
          "batches at most 0.1 s late, so a SIGKILL loses the last tenth of a second's");
ABSL_FLAG(std::string, port_file, "",
          "once listening, write the bound addresses to this file (grpc=HOST:PORT and "
          "http=HOST:PORT lines, written whole by a rename), e.g. for --listen=127.0.0.1:0; "
          "removed at a clean shutdown");

// `d06d bootstrap-admin --data_dir=DIR --name=NAME [--id=ID] [--force]`: prints the first
// administrator's token on stdout (and nothing else there).
int BootstrapAdmin(const std::string& data_dir) {
  d06::ServerOptions options;
  options.data_dir = data_dir;
  options.max_token_lifetime = absl::GetFlag(FLAGS_max_token_lifetime);
  const std::string name = absl::GetFlag(FLAGS_name);
  if (name.empty()) {
    d06::log::Error(
        "bootstrap-admin: --name is required: the administrator's display name, e.g. "
        "--name=\"Quản trị viên\"");
    return 2;
  }
  absl::StatusOr<std::string> token =
      d06::BootstrapAdmin(options, absl::GetFlag(FLAGS_id), name, absl::GetFlag(FLAGS_force));
  if (!token.ok()) {
    d06::log::Error(absl::StrCat("bootstrap-admin: ", token.status().message()));
    return 1;
  }
  d06::log::Info(absl::StrCat(
      "bootstrap-admin: created principals/", absl::GetFlag(FLAGS_id),
      " (ROLE_ADMIN over every unit) in ", data_dir,
      ". Its token, below, is shown only now and expires in ",
      absl::FormatDuration(options.max_token_lifetime),
      ": keep it in a file only you can read (d06ctl --token_file), create principals and "
      "tokens with it (d06ctl access ...), then revoke it."));
  std::cout << *token << std::endl;
  return 0;
}

namespace {

// d06d's configuration (server/d06d/config.h): its own flags, those defined in this file.
absl::StatusOr<d06::Config> ResolveConfig() {
  d06::ConfigOptions options;
  options.is_own = [](const absl::CommandLineFlag& flag) {
    return d06::SourceRelativePath(flag.Filename()) == d06::SourceRelativePath(__FILE__);
  };
  return d06::Config::Resolve(options, d06::EnvironmentOf(environ));
}

// The logger's options from the flags; the error names the flag and where its value came
// from.
absl::StatusOr<d06::log::Options> LogOptions(const d06::Config& config) {
  d06::log::Options options;
  options.program = "d06d";
  options.timestamps = absl::GetFlag(FLAGS_log_timestamps);
  absl::StatusOr<d06::log::Level> level = d06::log::ParseLevel(absl::GetFlag(FLAGS_log_level));
  if (!level.ok()) {
    return absl::InvalidArgumentError(
        config.Annotate(absl::StrCat("--log_level: ", level.status().message())));
  }
  options.level = *level;
  absl::StatusOr<d06::log::Format> format = d06::log::ParseFormat(absl::GetFlag(FLAGS_log_format));
  if (!format.ok()) {
    return absl::InvalidArgumentError(
        config.Annotate(absl::StrCat("--log_format: ", format.status().message())));
  }
  options.format = *format;
  return options;
}

// The start-up report: the release, then each flag not at its default with where its value
// came from (none is a secret: secrets are files, server/d06d/config.h).
void LogConfiguration(const d06::Config& config) {
  std::vector<d06::Config::Entry> set;
  for (d06::Config::Entry& entry : config.Entries()) {
    if (entry.source.kind != d06::FlagSource::Kind::kDefault) set.push_back(std::move(entry));
  }
  d06::log::Info(absl::StrCat("d06d ", D06_VERSION, " starting; ", set.size(),
                              " flags set, the others at their defaults (d06d --print_config "
                              "lists every one)"),
                 {{"version", D06_VERSION}});
  for (const d06::Config::Entry& entry : set) {
    d06::log::Info(
        "config",
        {{"flag", entry.name}, {"value", entry.value}, {"source", entry.source.ToString()}});
  }
}

// `d06d restore --from=BACKUP_DIR --data_dir=EMPTY_DIR [--backup_id=N]`. Exit status 0:
// restored; 1: refused or failed (a non-empty directory, no such backup); 2: usage.
int Restore(const std::string& data_dir) {
  d06::ServerOptions options;
  options.data_dir = data_dir;
  if (absl::GetFlag(FLAGS_from).empty() || absl::GetFlag(FLAGS_backup_id) < 0) {
    d06::log::Error(
        "restore: --from=BACKUP_DIR is required (and --backup_id, if given, is a backup's "
        "number)");
    return 2;
  }
  absl::StatusOr<d06::Store::Restored> restored = d06::RestoreBackup(
      options, absl::GetFlag(FLAGS_from), static_cast<uint32_t>(absl::GetFlag(FLAGS_backup_id)));
  if (!restored.ok()) {
    d06::log::Error(absl::StrCat("restore: ", restored.status().message()));
    return 1;
  }
  d06::log::Info(absl::StrCat(
      "restore: backup ", restored->backup.id, " (revision ", restored->backup.revision,
      ") restored into ", data_dir, "; new writes start after revision ", restored->revision,
      ", and a Watch from a revision up to it is answered REVISION_COMPACTED (feed consumers "
      "resync)"));
  return 0;
}

// `d06d verify --data_dir=DIR [--past_date=YYYY-MM-DD]`: the offline consistency check.
// Prints each problem on stdout; exit status 0: consistent; 1: problems found; 2: usage;
// 3: the check could not run (no directory, a d06d holds it, a damaged block).
int Verify(const std::string& data_dir) {
  d06::ServerOptions options;
  options.data_dir = data_dir;
  options.due_soon_days = absl::GetFlag(FLAGS_due_soon_days);
  std::optional<int64_t> past_day;
  if (const std::string past = absl::GetFlag(FLAGS_past_date); !past.empty()) {
    absl::CivilDay day;
    if (!absl::ParseCivilTime(past, &day)) {
      d06::log::Error(absl::StrCat("verify: --past_date must be YYYY-MM-DD, not \"", past, "\""));
      return 2;
    }
    past_day = day - absl::CivilDay(1970, 1, 1);
  }
  absl::StatusOr<d06::ConsistencyReport> report = d06::VerifyDataDir(options, past_day);
  if (!report.ok()) {
    d06::log::Error(absl::StrCat("verify: ", report.status().message()));
    return 3;
  }
  for (const std::string& problem : report->problems) std::cout << problem << "\n";
  std::string summary =
      absl::StrCat("verify: ", data_dir, " at revision ", report->revision, ": ", report->entities,
                   " entities, ", report->index_entries, " index entries, ", report->events,
                   " events; ", report->problem_count, " problem(s)");
  if (report->past_day >= 0) {
    absl::StrAppend(&summary, "; report counters recounted as of today and ",
                    absl::FormatCivilTime(absl::CivilDay(1970, 1, 1) + report->past_day));
  }
  if (!report->notes.empty()) absl::StrAppend(&summary, "; ", report->notes);
  d06::log::Info(summary);
  return report->problem_count == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  d06::InitFlagsUsage(
      __FILE__,
      "the Đề án 06 task-tracking server (gRPC over an embedded RocksDB "
      "database).\n"
      "Usage: d06d [--listen=host:port] [--data_dir=DIR] [--auth=required|off] [--tls_cert=F "
      "--tls_key=F [--client_ca=F]] [--config=FILE] [--print_config] ...\n"
      "       d06d bootstrap-admin --data_dir=DIR --name=NAME [--id=admin] [--force]\n"
      "       d06d restore --from=BACKUP_DIR --data_dir=EMPTY_DIR [--backup_id=N]\n"
      "       d06d verify --data_dir=DIR [--past_date=YYYY-MM-DD]\n"
      "Every flag may also be set in the environment (D06_ and its name in upper case, e.g. "
      "D06_DATA_DIR) or in --config=FILE; the command line wins, then the environment, then "
      "the file.",
      "d06d " D06_VERSION);
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  // Debian's Abseil checks every Mutex acquisition for lock-order cycles (a global graph
  // under one spin lock, about 2% of a busy server's CPU in perf). The tests, which link
  // the same code without this line, keep the check.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  d06::log::Options early;  // until the flags say otherwise
  early.program = "d06d";
  d06::log::Configure(early);
  absl::StatusOr<d06::Config> config = ResolveConfig();
  if (!config.ok()) {
    d06::log::Error(config.status().message());
    return 1;
  }
  absl::StatusOr<d06::log::Options> log_options = LogOptions(*config);
  if (!log_options.ok()) {
    d06::log::Error(log_options.status().message());
    return 1;
  }
  d06::log::Configure(*log_options);
  // A busy server logs tens of thousands of calls a second: one write(2) a tenth of a
  // second for them all, instead of one each.
  d06::log::BatchCallLines(absl::Milliseconds(100));
  for (const std::string& warning : config->warnings()) d06::log::Warning(warning);
  // The default data directory depends on the user: shown as it is.
  if (absl::GetFlag(FLAGS_data_dir).empty()) absl::SetFlag(&FLAGS_data_dir, DefaultDataDir());
  if (absl::GetFlag(FLAGS_print_config)) {
    std::cout << config->Print() << std::flush;
    return 0;
  }

  const std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  if (positional.size() == 2 && std::string(positional[1]) == "bootstrap-admin") {
    return BootstrapAdmin(data_dir);
  }
  if (positional.size() == 2 && std::string(positional[1]) == "restore") {
    // Never into the default directory by accident: the target is named.
    bool named = false;
    for (const d06::Config::Entry& entry : config->Entries()) {
      if (entry.name == "data_dir") named = entry.source.kind != d06::FlagSource::Kind::kDefault;
    }
    if (!named) {
      d06::log::Error("restore: --data_dir=EMPTY_DIR is required");
      return 2;
    }
    return Restore(data_dir);
  }
  if (positional.size() == 2 && std::string(positional[1]) == "verify") return Verify(data_dir);
  if (positional.size() > 1) {
    d06::log::Error(absl::StrCat("unknown command \"", positional[1],
                                 "\"; the commands are bootstrap-admin, restore and verify "
                                 "(d06d --help)"));
    return 2;
  }
  LogConfiguration(*config);

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
    d06::log::Error(
        config->Annotate(absl::StrCat("--auth must be required or off, not \"", auth, "\"")));
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
  options.backup_dir = absl::GetFlag(FLAGS_backup_dir);
  options.backup_interval = absl::GetFlag(FLAGS_backup_interval);
  options.backup_keep = absl::GetFlag(FLAGS_backup_keep);
  options.max_watchers = absl::GetFlag(FLAGS_max_watchers);
  options.watch_max_pending_events = absl::GetFlag(FLAGS_watch_max_pending_events);
  options.grpc_max_connections = absl::GetFlag(FLAGS_grpc_max_connections);
  options.http_max_connections = absl::GetFlag(FLAGS_http_max_connections);
  options.grpc_idle_timeout = absl::GetFlag(FLAGS_grpc_idle_timeout);
  options.grpc_max_streams_per_connection = absl::GetFlag(FLAGS_grpc_max_streams_per_connection);
  options.max_watchers_per_connection = absl::GetFlag(FLAGS_max_watchers_per_connection);
  options.max_exports_per_connection = absl::GetFlag(FLAGS_max_exports_per_connection);
  options.stream_stall_timeout = absl::GetFlag(FLAGS_stream_stall_timeout);
  options.benchmark_pipeline = absl::GetFlag(FLAGS_benchmark_pipeline);
  options.rate_limits = absl::GetFlag(FLAGS_rate_limits);
  options.rate_limit_principals = absl::GetFlag(FLAGS_rate_limit_principals);
  options.log_calls = absl::GetFlag(FLAGS_log_calls);
  options.max_watchers_per_principal = absl::GetFlag(FLAGS_max_watchers_per_principal);
  options.max_exports_per_principal = absl::GetFlag(FLAGS_max_exports_per_principal);
  // Connections are capped below the limit (server/d06d/fd_budget.h): the higher it is,
  // the more of them d06d serves.
  const int64_t soft_limit = d06::FileLimit();
  d06::RaiseFileLimit();

  if (geteuid() == 0) {
    d06::log::Warning(
        "running as root: a flaw in d06d or a library it uses would give the whole machine "
        "away; run it as an unprivileged user (as deploy/d06d.service and the container image "
        "do)");
  }
  auto server = d06::Server::Start(options);
  if (!server.ok()) {
    d06::log::Error(config->Annotate(server.status().ToString()));
    return 1;
  }
  const d06::FdBudget& budget = (*server)->budget();
  d06::log::Info(absl::StrCat(
      "open files: limit ", budget.limit,
      soft_limit != budget.limit ? absl::StrCat(" (raised from ", soft_limit, ")") : "",
      "; the store keeps at most ", budget.store_table_files + d06::kStoreOverhead,
      "; gRPC takes at most ", budget.grpc_connections, " connections, HTTP at most ",
      budget.http_connections));
  if (options.auth == d06::AuthMode::kOff) {
    d06::log::Warning(
        "--auth=off: DEVELOPMENT MODE, NO AUTHENTICATION: every caller may do everything and "
        "names itself in x-d06-actor; loopback only");
  } else {
    d06::log::Info(absl::StrCat("authentication required: bearer tokens",
                                options.client_ca.empty() ? "" : " and client certificates"));
    d06::api::RateLimits limits;
    (void)d06::api::ParseRateLimits(options.rate_limits, &limits);  // checked by Start
    d06::log::Info(absl::StrCat("per principal: calls a second ",
                                d06::api::FormatRateLimits(limits), " (reads/burst:writes/burst); ",
                                options.max_watchers_per_principal, " watchers and ",
                                options.max_exports_per_principal, " exports"));
  }
  if (options.tls_cert.empty()) {
    d06::log::Write(options.network_encrypted ? d06::log::Level::kWarning : d06::log::Level::kInfo,
                    absl::StrCat("plaintext (no TLS)",
                                 options.network_encrypted
                                     ? ": --network_encrypted says a service mesh encrypts "
                                       "every connection"
                                     : ": loopback only"));
  } else {
    d06::log::Info(
        absl::StrCat("TLS on both ports: ", options.tls_cert,
                     options.client_ca.empty() ? "" : "; client certificates verified against ",
                     options.client_ca));
  }
  d06::log::Info(absl::StrCat("data directory ", options.data_dir));
  // Scripts and tests read the port of these two lines (or --port_file): keep their words.
  d06::log::Info(
      absl::StrCat("serving gRPC on port ", (*server)->port(), " (", options.listen_address, ")"));
  for (const std::string& origin : options.http_cors_origins) {
    if (origin != "*" || (*server)->http_port() == 0) continue;
    d06::log::Warning(
        "--http_cors_origins=*: every web site may call the HTTP API from its visitors' "
        "browsers, with their network access and without authentication; list the portals' "
        "origins instead");
    break;
  }
  if ((*server)->http_port() != 0) {
    d06::log::Info(absl::StrCat("serving HTTP on port ", (*server)->http_port(), " (",
                                options.http_listen_address,
                                "): the Connect API and the dashboard at /"));
  }
  if ((*server)->metrics_port() != 0) {
    d06::log::Info(absl::StrCat("serving metrics on port ", (*server)->metrics_port(), " (",
                                options.metrics_listen_address, "): /metrics, /livez, /readyz"));
  }
  const std::string port_file = absl::GetFlag(FLAGS_port_file);
  if (!port_file.empty()) {
    std::string ports =
        absl::StrCat("grpc=", d06::BoundAddress(options.listen_address, (*server)->port()), "\n");
    if ((*server)->http_port() != 0) {
      absl::StrAppend(&ports, "http=",
                      d06::BoundAddress(options.http_listen_address, (*server)->http_port()), "\n");
    }
    if ((*server)->metrics_port() != 0) {
      absl::StrAppend(&ports, "metrics=",
                      d06::BoundAddress(options.metrics_listen_address, (*server)->metrics_port()),
                      "\n");
    }
    if (absl::Status written = d06::WriteFileAtomically(port_file, ports); !written.ok()) {
      d06::log::Error(written.message());
      (*server)->Shutdown();
      return 1;
    }
  }

  int signal_number = 0;
  while (sigwait(&signals, &signal_number) == 0 && signal_number == SIGHUP) {
    const absl::Status reloaded = (*server)->ReloadCertificates();
    if (reloaded.ok()) {
      d06::log::Info("SIGHUP: certificates reloaded");
    } else {
      d06::log::Error(absl::StrCat("SIGHUP: ", reloaded.ToString()));
    }
  }
  d06::log::Info(absl::StrCat("signal ", signal_number, ", shutting down"));
  (*server)->Shutdown();
  if (!port_file.empty()) std::remove(port_file.c_str());
  d06::log::Info("stopped cleanly");
  return 0;
}
