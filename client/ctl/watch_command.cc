#include "client/ctl/watch_command.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/ctl/config.h"
#include "client/ctl/import.h"
#include "client/ctl/output.h"
#include "client/ctl/request_flags.h"

namespace d06::ctl {
namespace {

std::atomic<bool> stop_requested{false};

// Blocks SIGINT and SIGTERM in this thread and every thread started after (gRPC's), and
// starts a thread that, on either, asks the watch to stop; if the watch has not ended
// within 2 seconds (e.g. waiting to reconnect), it exits the process with 0 itself.
void HandleStopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::thread([signals] {
    int number = 0;
    sigwait(&signals, &number);
    stop_requested = true;
    std::this_thread::sleep_for(std::chrono::seconds(2));
    std::cout.flush();
    _exit(0);
  }).detach();
}

std::string StateName(v1::AssignmentState state) {
  if (state == v1::ASSIGNMENT_STATE_UNSPECIFIED) return "";
  return ShortEnumName(*v1::AssignmentState_descriptor()->FindValueByNumber(state));
}

}  // namespace

std::string EventLine(const v1::Event& event) {
  std::vector<std::string> parts = {
      absl::StrCat(event.revision(), ".", event.index()), FormatTime(event.time()), event.actor(),
      ShortEnumName(*v1::EventAction_descriptor()->FindValueByNumber(event.action())),
      event.resource()};
  const std::string old_state = StateName(event.old_state());
  const std::string new_state = StateName(event.new_state());
  if (!old_state.empty() || !new_state.empty()) {
    parts.push_back(absl::StrCat(old_state.empty() ? "-" : old_state, "→", new_state));
  }
  if (event.has_old_deadline() || event.has_new_deadline()) {
    parts.push_back(absl::StrCat("deadline ", FormatDate(event.old_deadline()), "→",
                                 FormatDate(event.new_deadline())));
  }
  if (!event.reason().empty()) {
    std::string reason = event.reason();
    for (char& c : reason) {
      if (c == '\n' || c == '\t') c = ' ';
    }
    parts.push_back(absl::StrCat("\"", reason, "\""));
  }
  return absl::StrJoin(parts, "  ");
}

std::string WatchCommand::Summary() const {
  return "Follows the change feed: one line per event, until Ctrl-C.";
}

std::string WatchCommand::Help() const {
  return absl::StrCat(
      "Usage: d06ctl watch [--from REV] [--task tasks/ID] [--unit-tree units/CODE]\n"
      "                    [--action ACTION ...] [-o json]\n\n",
      "Follows the event log (EventService.Watch) and prints one line per event:\n"
      "  REVISION.INDEX  TIME (+07:00)  ACTOR  ACTION  RESOURCE  [OLD→NEW STATE]\n"
      "  [deadline OLD→NEW]  [\"REASON\"]\n"
      "With -o json, one JSON object (d06.v1.Event) per line. After a disconnect or a server\n"
      "restart it waits for the server and resumes as soon as it is back (within a\n"
      "second), from the last revision received + 1 (noted on stderr),\n"
      "so no event is lost or repeated. Ctrl-C stops it (exit 0).\n\n",
      "Flags:\n"
      "  --from REV          first revision to print (default: only what happens from now)\n"
      "  --task NAME         only events of this task and its assignments\n"
      "  --unit-tree NAME    only events about this unit's subtree\n"
      "  --action ACTION     only these actions (repeat the flag), e.g. START, URGE, "
      "OVERDUE\n"
      "Any other field of d06.v1.WatchRequest may be given as for a generated command\n"
      "(e.g. --progress_interval_ms), or the whole request with --json.\n");
}

std::vector<std::string> WatchCommand::Flags() const {
  std::vector<std::string> flags = {"--from", "--action"};
  for (const std::string& flag : FlagNames(*v1::WatchRequest::descriptor())) {
    flags.push_back(flag);
  }
  return flags;
}

int WatchCommand::Run(const std::vector<std::string>& args, Context& context) {
  // The hand-written flags are aliases of WatchRequest's fields.
  std::vector<std::string> request_args;
  for (const std::string& arg : args) {
    if (arg == "--from" || absl::StartsWith(arg, "--from=")) {
      request_args.push_back(absl::StrCat("--start_revision", arg.substr(6)));
    } else if (arg == "--action" || absl::StartsWith(arg, "--action=")) {
      request_args.push_back(absl::StrCat("--actions", arg.substr(8)));
    } else {
      request_args.push_back(arg);
    }
  }
  v1::WatchRequest request;
  absl::Status built = BuildRequest(request_args, &request);
  if (!built.ok()) return context.UsageError(built.message(), Name());
  // Progress at least every second, so that a stop request is seen promptly.
  if (request.progress_interval_ms() == 0) request.set_progress_interval_ms(1000);

  HandleStopSignals();  // Before the client starts any thread.
  absl::StatusOr<ClientOptions> options = ResolveClientOptions(context.options);
  if (!options.ok()) return context.UsageError(options.status().message());
  // A restarted server is noticed within half a second (client/client.h).
  options->max_reconnect_backoff = absl::Milliseconds(500);
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(*options);
  if (!client.ok()) return context.UsageError(client.status().message());
  const bool json = context.options.output == OutputFormat::kJson;
  bool waiting = false;  // said "waiting for the server", not yet "resumed"
  int64_t resume_from = 0;
  absl::Status status = (*client)->Watch(
      request,
      [&](const v1::WatchResponse& response) {
        if (stop_requested) return false;
        if (waiting) {
          waiting = false;
          context.err << "d06ctl: watch: the server is back; resumed from revision " << resume_from
                      << "\n";
        }
        for (const v1::Event& event : response.events()) {
          context.out << (json ? ToJsonLine(event) : EventLine(event)) << "\n";
        }
        context.out.flush();
        return !stop_requested;
      },
      [&](const absl::Status& why, int64_t next_revision) {
        if (absl::IsResourceExhausted(why)) {
          // The server dropped this watcher (too slow, or too many watchers).
          context.err << "d06ctl: watch: " << DescribeError(why) << "; resuming from revision "
                      << next_revision << "\n";
          return;
        }
        // The server went away (restart, network): said once per outage, plainly.
        if (!waiting) {
          context.err << "d06ctl: watch: waiting for the server at " << options->target
                      << " (retrying; the watch resumes from revision " << next_revision << ")\n";
        }
        waiting = true;
        resume_from = next_revision;
      });
  if (!status.ok()) return context.Fail(status);
  return 0;
}

std::string ImportCommand::Summary() const { return "Imports units or tasks from a CSV file."; }

std::string ImportCommand::Help() const { return ImportUsage(); }

int ImportCommand::Run(const std::vector<std::string>& args, Context& context) {
  absl::StatusOr<std::unique_ptr<Client>> client = context.Connect();
  if (!client.ok()) return context.UsageError(client.status().message());
  // --dry-run is a global option (every change takes it); the import has its own.
  std::vector<std::string> import_args = args;
  if (context.options.dry_run) import_args.push_back("--dry-run");
  return RunImport(**client, import_args, context.out, context.err);
}

}  // namespace d06::ctl
