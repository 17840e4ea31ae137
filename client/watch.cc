// Client::Watch: EventService.Watch, resumed after every disconnect from the revision
// after the last one received.
#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/time/clock.h"
#include "client/client.h"

namespace d06 {
namespace {

// Whether a watch that ended with `status` is worth starting again from where it was:
// the server went away or restarted, the connection broke, or the watcher fell behind.
// (Client::Watch cancels its own call only when on_response asks to stop.)
bool Resumable(const absl::Status& status) {
  if (absl::IsUnavailable(status)) return true;
  if (absl::IsResourceExhausted(status)) {
    const std::string reason = client::ErrorReason(status);
    return reason == v1::reason::kWatcherTooSlow || reason == v1::reason::kTooManyWatchers;
  }
  // A stream cut by the network or a proxy, or cancelled by a server shutting down (gRPC
  // cancels the calls it has not handed to the service yet), without a d06 status.
  return (absl::IsInternal(status) || absl::IsCancelled(status)) &&
         client::ErrorReason(status).empty();
}

std::pair<int64_t, int32_t> Position(const v1::Event& event) {
  return {event.revision(), event.index()};
}

}  // namespace

absl::Status Client::Watch(v1::WatchRequest req, const WatchSink& on_response,
                           const ResumeSink& on_resume) {
  int failures = 0;  // in a row, without a response in between: the backoff grows
  // The last event handed on: a resume inside a fragmented revision reads the revision
  // again from its start, and its events up to here are skipped.
  std::pair<int64_t, int32_t> last_handed{0, 0};
  bool reconnect = false;  // the last watch ended with the connection
  while (true) {
    grpc::ClientContext context;
    PrepareContext(&context);
    // After a broken connection, wait for the channel to be back rather than fail at once
    // and sleep: the watch starts as soon as the server answers again.
    if (reconnect) context.set_wait_for_ready(true);
    std::unique_ptr<grpc::ClientReader<v1::WatchResponse>> reader = events_->Watch(&context, req);
    v1::WatchResponse response;
    bool stopped = false;
    while (reader->Read(&response)) {
      failures = 0;
      // Resume after the last revision the server vouched for; the first response of a
      // watch from "now" (start_revision 0) says where that is. After a fragment that is
      // the start of its revision, so a resume reads it again.
      req.set_start_revision(response.revision() + 1);
      auto seen = [&](const v1::Event& e) { return Position(e) <= last_handed; };
      response.mutable_events()->erase(std::remove_if(response.mutable_events()->begin(),
                                                      response.mutable_events()->end(), seen),
                                       response.mutable_events()->end());
      if (response.events_size() > 0) last_handed = Position(*response.events().rbegin());
      if (!on_response(response)) {
        stopped = true;
        context.TryCancel();
        break;
      }
    }
    const absl::Status status = client::FromGrpcStatus(reader->Finish());
    if (stopped) return absl::OkStatus();
    if (status.ok()) {
      // The server ends a watch only with an error; treat a clean end like a break.
    } else if (!Resumable(status)) {
      return status;
    }
    if (on_resume) on_resume(status, req.start_revision());
    reconnect = !absl::IsResourceExhausted(status);
    // A short pause even then, so that a server that accepts and at once ends watches
    // (e.g. while it shuts down) is not called in a tight loop.
    const absl::Duration pause = client::Backoff(options_, failures++);
    absl::SleepFor(reconnect ? std::min(pause, absl::Milliseconds(100)) : pause);
  }
}

}  // namespace d06
