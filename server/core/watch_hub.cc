#include "server/core/watch_hub.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "d06/v1/api_names.h"
#include "server/domain/authorization.h"
#include "server/domain/errors.h"
#include "server/domain/names.h"
#include "server/model/entities.h"
#include "server/model/event_log.h"
#include "server/model/schema.h"
#include "storage/status_macros.h"

namespace d06 {
namespace {

// A watch this many revisions or fewer behind registers with the dispatch thread (reading
// the rest under its lock); further behind, it catches up on its own first.
constexpr int64_t kRegisterGap = 1000;
// Events the dispatch thread reads per round, and a catching-up watch per read.
constexpr size_t kEventsPerRead = 5000;
// How long the dispatch thread sleeps in one wait (it notices Close() within this).
constexpr absl::Duration kDispatchWait = absl::Milliseconds(200);
// How often a waiting watcher looks whether its client is gone.
constexpr absl::Duration kGoneCheck = absl::Seconds(1);
// A response that the client does not take within this long ends the watch
// (WATCHER_TOO_SLOW): a stuck consumer does not hold a thread forever.
constexpr absl::Duration kMaxStall = absl::Seconds(60);
// Responses stay under this many bytes, but for a revision larger on its own.
constexpr size_t kMaxResponseBytes = size_t{1} << 20;
constexpr absl::Duration kDefaultProgressInterval = absl::Seconds(10);
// A watcher sends events at most this often: what arrives meanwhile goes in the next
// response. Under a steady stream of writes this turns a wake-up and a send per write and
// watcher into a few dozen a second; after a quiet spell the first event goes at once.
constexpr absl::Duration kBatchWindow = absl::Milliseconds(20);

absl::Status Compacted(int64_t asked, int64_t oldest) {
  return Error(absl::StatusCode::kOutOfRange, v1::reason::kRevisionCompacted,
               absl::StrCat("revision ", asked,
                            " was removed by the event retention; the oldest revision kept is ",
                            oldest, ": read the resources again and watch from there"),
               {{"oldest_revision", absl::StrCat(oldest)}});
}

absl::Status Closed(int64_t resume) {
  return Error(absl::StatusCode::kUnavailable, "UNAVAILABLE",
               absl::StrCat("the server is shutting down; watch again from revision ", resume),
               {{"resume_revision", absl::StrCat(resume)}});
}

absl::Status TooSlow(int64_t resume, absl::string_view why) {
  return Error(absl::StatusCode::kResourceExhausted, v1::reason::kWatcherTooSlow,
               absl::StrCat("the watcher ", why, "; watch again from revision ", resume),
               {{"resume_revision", absl::StrCat(resume)}});
}

// The unit an event is about, for the unit_tree filter: the unit itself, a task's
// assigning unit, an assignment's assigned unit.
std::string UnitOfEvent(const v1::Event& event) {
  switch (event.after_case()) {
    case v1::Event::kUnit:
      return CodeOf(event.unit().name());
    case v1::Event::kTask:
      return CodeOf(event.task().assigning_unit());
    case v1::Event::kAssignment:
      return CodeOf(event.assignment().unit());
    default:
      return absl::StartsWith(event.resource(), "units/") ? CodeOf(event.resource()) : "";
  }
}

}  // namespace

struct WatchHub::Filter {
  std::shared_ptr<const v1::Principal> reader;  // whose bindings decide; null: everyone
  std::string task;                             // "tasks/7"; empty: any
  std::string task_prefix;                      // "tasks/7/": its assignments
  std::string unit_tree;                        // a unit code; empty: any
  std::vector<v1::EventAction> actions;         // empty: any
};

struct WatchHub::Watcher {
  Filter filter;
  // The first revision not yet handed to this watcher.
  int64_t next = 0;
  // Matching events handed over and not yet taken by the watcher's thread.
  std::vector<EventPtr> pending;
  bool cut_off = false;
  absl::Status error;  // a storage fault while matching
  // The watcher's thread sleeps until then gathering a batch: no need to wake it sooner.
  absl::Time quiet_until = absl::InfinitePast();
  absl::CondVar wake;
};

WatchHub::WatchHub(Store* store, Options options)
    : store_(store),
      options_(options),
      dispatched_(store->durable_revision()),
      dispatcher_([this] { DispatchLoop(); }) {}

WatchHub::~WatchHub() {
  Close();
  dispatcher_.join();
}

void WatchHub::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  for (Watcher* watcher : watchers_) watcher->wake.Signal();
}

size_t WatchHub::watchers() const {
  absl::MutexLock lock(&mu_);
  return watchers_.size();
}

absl::StatusOr<std::shared_ptr<const std::vector<std::string>>> WatchHub::AncestryOf(
    const ReadView& view, const std::string& code) {
  absl::MutexLock lock(&ancestry_mu_);
  auto it = ancestry_.find(code);
  if (it == ancestry_.end()) {
    std::vector<std::string> chain;
    absl::Status walked = WalkAncestry(view, code, &chain);
    if (absl::IsDataLoss(walked)) {
      // One unit's broken chain (a cycle, or a tree deeper than kMaxUnitDepth written
      // before that limit) must not end anyone's stream: its events match the watchers
      // of the units that could be walked, and the operator hears of it once.
      log::Error(absl::StrCat("change feed: ", walked.ToString()));
    } else if (!walked.ok()) {
      return walked;  // a read failed: the feed retries the range
    }
    it = ancestry_.emplace(code, std::make_shared<const std::vector<std::string>>(std::move(chain)))
             .first;
  }
  return it->second;
}

absl::StatusOr<bool> WatchHub::Matches(const Filter& filter, const v1::Event& event,
                                       const ReadView& view) {
  // Every idle watcher checks every event: no allocation here.
  if (!filter.task.empty() && event.resource() != filter.task &&
      !absl::StartsWith(event.resource(), filter.task_prefix)) {
    return false;
  }
  if (!filter.actions.empty() && std::find(filter.actions.begin(), filter.actions.end(),
                                           event.action()) == filter.actions.end()) {
    return false;
  }
  if (event.action() == v1::EVENT_ACTION_MOVE_UNIT ||
      event.action() == v1::EVENT_ACTION_MERGE_UNITS ||
      event.action() == v1::EVENT_ACTION_DISSOLVE_UNIT) {
    absl::MutexLock lock(&ancestry_mu_);
    ancestry_.clear();  // the tree changed: read again for this event and the later ones
  }
  if (!filter.unit_tree.empty()) {
    const std::string unit = UnitOfEvent(event);
    if (unit.empty()) return false;
    ASSIGN_OR_RETURN(std::shared_ptr<const std::vector<std::string>> chain, AncestryOf(view, unit));
    if (std::find(chain->begin(), chain->end(), filter.unit_tree) == chain->end()) return false;
  }
  if (filter.reader != nullptr) {
    // Principal and token events are the admins' business; the rest, any viewer's.
    const bool admins =
        event.after_case() == v1::Event::kPrincipal || event.after_case() == v1::Event::kToken;
    const int needed = RoleRank(admins ? v1::ROLE_ADMIN : v1::ROLE_VIEWER);
    if (event.audience().empty()) return RankAt(*filter.reader, {}) >= needed;
    for (const std::string& unit : event.audience()) {
      ASSIGN_OR_RETURN(std::shared_ptr<const std::vector<std::string>> chain,
                       AncestryOf(view, CodeOf(unit)));
      if (RankAt(*filter.reader, *chain) >= needed) return true;
    }
    return false;
  }
  return true;
}

absl::StatusOr<int64_t> WatchHub::ReadMatching(const ReadView& view, const Filter& filter,
                                               int64_t from, int64_t to, size_t max_events,
                                               std::vector<EventPtr>* out) {
  absl::Status match_error;
  ASSIGN_OR_RETURN(const int64_t through,
                   ReadEvents(view, from, to, max_events, [&](v1::Event event) {
                     absl::StatusOr<bool> match = Matches(filter, event, view);
                     if (!match.ok()) {
                       match_error = match.status();
                       return false;
                     }
                     if (*match)
                       out->push_back(std::make_shared<const v1::Event>(std::move(event)));
                     return true;
                   }));
  RETURN_IF_ERROR(match_error);
  return through;
}

void WatchHub::DispatchLoop() {
  while (true) {
    int64_t from;
    {
      absl::MutexLock lock(&mu_);
      if (closed_) return;
      from = dispatched_ + 1;
    }
    const int64_t durable = store_->WaitForRevision(from - 1, absl::Now() + kDispatchWait);
    if (durable < from) continue;
    {
      absl::MutexLock lock(&mu_);
      if (watchers_.empty()) {  // nobody to hand anything to
        dispatched_ = durable;
        continue;
      }
    }
    std::unique_ptr<ReadView> view = store_->Snapshot();  // holds every durable revision
    std::vector<EventPtr> events;
    absl::StatusOr<int64_t> through =
        ReadEvents(*view, from, durable, kEventsPerRead, [&](v1::Event event) {
          events.push_back(std::make_shared<const v1::Event>(std::move(event)));
          return true;
        });
    if (!through.ok()) {
      log::Error(
          absl::StrCat("the change feed cannot read the event log: ", through.status().ToString()));
      absl::SleepFor(absl::Seconds(1));
      continue;
    }
    absl::MutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    for (Watcher* watcher : watchers_) {
      if (watcher->cut_off || !watcher->error.ok()) continue;
      bool handed = false;
      for (const EventPtr& event : events) {
        if (event->revision() < watcher->next) continue;  // sent while catching up
        absl::StatusOr<bool> match = Matches(watcher->filter, *event, *view);
        if (!match.ok()) {
          watcher->error = match.status();
          handed = true;
          break;
        }
        if (*match) {
          watcher->pending.push_back(event);
          handed = true;
        }
      }
      watcher->next = std::max(watcher->next, *through + 1);
      if (watcher->pending.size() > options_.max_pending_events) {
        watcher->cut_off = true;
        cut_off_.fetch_add(1, std::memory_order_relaxed);
        std::vector<EventPtr>().swap(watcher->pending);  // the memory goes now
        watcher->wake.Signal();
      } else if (handed && now >= watcher->quiet_until) {
        watcher->wake.Signal();
      }
    }
    dispatched_ = *through;
  }
}

absl::Status WatchHub::EndReason(const Watcher& watcher, int64_t sent_through) const {
  if (closed_) return Closed(sent_through + 1);
  if (watcher.cut_off) {
    return TooSlow(sent_through + 1, absl::StrCat("fell more than ", options_.max_pending_events,
                                                  " events behind the writes"));
  }
  return watcher.error;
}

absl::Status WatchHub::Send(const v1::WatchResponse& response, const Stream& stream,
                            Watcher* watcher, int64_t sent_through) {
  const absl::Time give_up = absl::Now() + kMaxStall;
  while (true) {
    switch (stream.send(response, std::min(give_up, absl::Now() + kGoneCheck))) {
      case Stream::Sent::kSent:
        events_sent_.fetch_add(static_cast<uint64_t>(response.events_size()),
                               std::memory_order_relaxed);
        return absl::OkStatus();
      case Stream::Sent::kGone:
        return absl::CancelledError("the client went away");
      case Stream::Sent::kTimedOut:
        break;
    }
    {
      absl::MutexLock lock(&mu_);
      if (watcher != nullptr) {
        RETURN_IF_ERROR(EndReason(*watcher, sent_through));
      } else if (closed_) {
        return Closed(sent_through + 1);
      }
    }
    if (absl::Now() >= give_up) {
      cut_off_.fetch_add(1, std::memory_order_relaxed);
      return TooSlow(sent_through + 1,
                     absl::StrCat("took no response for ", absl::FormatDuration(kMaxStall)));
    }
  }
}

absl::Status WatchHub::SendEvents(const std::vector<EventPtr>& events, int64_t through,
                                  const Stream& stream, Watcher* watcher, int64_t* sent_through) {
  v1::WatchResponse response;
  size_t bytes = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    const v1::Event& event = *events[i];
    const bool last = i + 1 == events.size();
    *response.add_events() = event;
    bytes += event.ByteSizeLong();
    const bool revision_ends = last || events[i + 1]->revision() != event.revision();
    const bool full =
        static_cast<size_t>(response.events_size()) >= options_.max_events_per_response ||
        bytes >= kMaxResponseBytes;
    if (last || (revision_ends && full)) {
      response.set_revision(last ? through : event.revision());
      RETURN_IF_ERROR(Send(response, stream, watcher, *sent_through));
      *sent_through = response.revision();
      response.Clear();
      bytes = 0;
    }
  }
  return absl::OkStatus();
}

absl::Status WatchHub::Watch(const v1::WatchRequest& request, const Stream& stream,
                             std::shared_ptr<const v1::Principal> reader) {
  Filter filter;
  filter.reader = std::move(reader);
  if (!request.task().empty()) {
    ASSIGN_OR_RETURN(uint64_t id, ParseTaskName("task", request.task()));
    filter.task = TaskName(id);
    filter.task_prefix = absl::StrCat(filter.task, "/");
  }
  if (!request.unit_tree().empty()) {
    ASSIGN_OR_RETURN(filter.unit_tree, ParseUnitName("unit_tree", request.unit_tree()));
  }
  for (int i = 0; i < request.actions_size(); ++i) {
    const int action = request.actions(i);
    if (action == v1::EVENT_ACTION_UNSPECIFIED || !v1::EventAction_IsValid(action)) {
      return InvalidField(absl::StrCat("actions[", i, "]"),
                          absl::StrCat("actions[", i, "] is not an event action: ", action));
    }
    filter.actions.push_back(static_cast<v1::EventAction>(action));
  }
  absl::Duration progress_interval = kDefaultProgressInterval;
  if (request.progress_interval_ms() != 0) {
    progress_interval = absl::Milliseconds(request.progress_interval_ms());
    if (progress_interval < absl::Milliseconds(100) || progress_interval > absl::Minutes(10)) {
      return InvalidField("progress_interval_ms",
                          absl::StrCat("progress_interval_ms must be 100..600000 (0: 10 s), not ",
                                       request.progress_interval_ms()));
    }
  }
  const int64_t durable = store_->durable_revision();
  if (request.start_revision() < 0 || request.start_revision() > durable + 1) {
    return InvalidField(
        "start_revision",
        absl::StrCat("start_revision must be 0 (from now) or 1..", durable + 1,
                     " (the current revision + 1), not ", request.start_revision()));
  }
  int64_t next = request.start_revision() == 0 ? durable + 1 : request.start_revision();
  {
    std::unique_ptr<ReadView> view = store_->Snapshot();
    ASSIGN_OR_RETURN(const int64_t oldest, OldestEventRevision(*view));
    if (next < oldest) return Compacted(next, oldest);
  }
  int64_t sent_through = next - 1;
  v1::WatchResponse start;
  start.set_revision(sent_through);
  RETURN_IF_ERROR(Send(start, stream, nullptr, sent_through));
  absl::Time last_sent = absl::Now();

  // Catch up on this thread while far behind.
  while (store_->durable_revision() - next >= kRegisterGap) {
    const int64_t upto = store_->durable_revision();
    std::unique_ptr<ReadView> view = store_->Snapshot();
    ASSIGN_OR_RETURN(const int64_t oldest, OldestEventRevision(*view));
    if (next < oldest) return Compacted(next, oldest);
    std::vector<EventPtr> events;
    ASSIGN_OR_RETURN(const int64_t through,
                     ReadMatching(*view, filter, next, upto, kEventsPerRead, &events));
    next = through + 1;
    if (!events.empty() || absl::Now() - last_sent >= progress_interval) {
      if (events.empty()) {
        v1::WatchResponse progress;
        progress.set_revision(through);
        RETURN_IF_ERROR(Send(progress, stream, nullptr, sent_through));
        sent_through = through;
      } else {
        RETURN_IF_ERROR(SendEvents(events, through, stream, nullptr, &sent_through));
      }
      last_sent = absl::Now();
    }
  }

  // Register: the dispatch thread hands over everything after `next`.
  Watcher watcher;
  watcher.filter = std::move(filter);
  std::list<Watcher*>::iterator registered;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return Closed(sent_through + 1);
    if (next <= dispatched_) {
      std::unique_ptr<ReadView> view = store_->Snapshot();
      ASSIGN_OR_RETURN(const int64_t oldest, OldestEventRevision(*view));
      if (next < oldest) return Compacted(next, oldest);
      ASSIGN_OR_RETURN(const int64_t through,
                       ReadMatching(*view, watcher.filter, next, dispatched_,
                                    std::numeric_limits<size_t>::max(), &watcher.pending));
      next = through + 1;
    }
    watcher.next = next;
    registered = watchers_.insert(watchers_.end(), &watcher);
  }
  absl::Cleanup unregister = [this, registered] {
    absl::MutexLock lock(&mu_);
    watchers_.erase(registered);
  };

  absl::Time batch_at = absl::InfinitePast();  // when the next batch of events may go
  while (true) {
    std::vector<EventPtr> events;
    int64_t through;
    bool all_taken;  // nothing left pending: `through` may be told as progress
    {
      absl::MutexLock lock(&mu_);
      const absl::Time now = absl::Now();
      const bool batching = !watcher.pending.empty() && now < batch_at;
      if ((watcher.pending.empty() || batching) && !watcher.cut_off && !closed_ &&
          watcher.error.ok()) {
        watcher.quiet_until = batching ? batch_at : absl::InfinitePast();
        absl::Time deadline = std::min(last_sent + progress_interval, now + kGoneCheck);
        if (batching) deadline = std::min(deadline, batch_at);
        watcher.wake.WaitWithDeadline(&mu_, deadline);
      }
      RETURN_IF_ERROR(EndReason(watcher, sent_through));
      if (absl::Now() >= batch_at) events.swap(watcher.pending);
      all_taken = watcher.pending.empty();
      through = watcher.next - 1;
    }
    if (stream.gone()) return absl::CancelledError("the client went away");
    if (!events.empty()) {
      RETURN_IF_ERROR(SendEvents(events, through, stream, &watcher, &sent_through));
      last_sent = absl::Now();
      batch_at = last_sent + kBatchWindow;
    } else if (all_taken && absl::Now() - last_sent >= progress_interval) {
      v1::WatchResponse progress;
      progress.set_revision(through);
      RETURN_IF_ERROR(Send(progress, stream, &watcher, sent_through));
      sent_through = through;
      last_sent = absl::Now();
    }
  }
}

}  // namespace d06
