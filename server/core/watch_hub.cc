#include "server/core/watch_hub.h"

#include <algorithm>
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
// Responses end at a revision's end once this many bytes are in; a revision of more than
// twice this is split.
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
  // The first event not yet handed to this watcher; once `behind`, the first it did not take.
  EventPosition next;
  // Matching events handed over and not yet taken by the watcher's thread.
  std::vector<EventPtr> pending;
  // Its pending events passed max_pending_events: they were dropped, and its thread reads
  // the log from `next`.
  bool behind = false;
  absl::Status error;  // a storage fault while matching
  // The watcher's thread sleeps until then gathering a batch: no need to wake it sooner.
  absl::Time quiet_until = absl::InfinitePast();
  absl::CondVar wake;
};

// Where one watch is: what it has read and what it has told its client.
struct WatchHub::Progress {
  // The next event to read: every matching event before it has been sent.
  EventPosition next;
  // The last `revision` sent.
  int64_t told = 0;
  absl::Time last_sent = absl::InfinitePast();
  // How long without a response before a progress response.
  absl::Duration interval = kDefaultProgressInterval;
};

WatchHub::WatchHub(Store* store, Options options)
    : store_(store),
      options_(options),
      dispatched_{store->durable_revision() + 1, 0},
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

absl::StatusOr<EventPosition> WatchHub::ReadMatching(const ReadView& view, const Filter& filter,
                                                     EventPosition from, int64_t to,
                                                     size_t max_events,
                                                     std::vector<EventPtr>* out) {
  absl::Status match_error;
  ASSIGN_OR_RETURN(const EventPosition next,
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
  return next;
}

void WatchHub::DispatchLoop() {
  while (true) {
    EventPosition from;
    {
      absl::MutexLock lock(&mu_);
      if (closed_) return;
      from = dispatched_;
    }
    // Waits for the next revision unless part of one is still to be handed over.
    const int64_t durable = store_->WaitForRevision(from.revision - 1, absl::Now() + kDispatchWait);
    if (durable < from.revision) continue;
    {
      absl::MutexLock lock(&mu_);
      if (watchers_.empty()) {  // nobody to hand anything to
        dispatched_ = {durable + 1, 0};
        continue;
      }
    }
    std::unique_ptr<ReadView> view = store_->Snapshot();  // holds every durable revision
    std::vector<EventPtr> events;
    absl::StatusOr<EventPosition> next =
        ReadEvents(*view, from, durable, kEventsPerRead, [&](v1::Event event) {
          events.push_back(std::make_shared<const v1::Event>(std::move(event)));
          return true;
        });
    if (!next.ok()) {
      log::Error(
          absl::StrCat("the change feed cannot read the event log: ", next.status().ToString()));
      absl::SleepFor(absl::Seconds(1));
      continue;
    }
    absl::MutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    for (Watcher* watcher : watchers_) {
      if (watcher->behind || !watcher->error.ok()) continue;
      bool handed = false;
      for (const EventPtr& event : events) {
        if (EventPosition::Of(*event) < watcher->next) continue;  // read at registration
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
      if (watcher->next < *next) watcher->next = *next;
      if (watcher->pending.size() > options_.max_pending_events) {
        // Its thread reads the log from the first event it has not taken.
        watcher->behind = true;
        watcher->next = EventPosition::Of(*watcher->pending.front());
        fell_behind_.fetch_add(1, std::memory_order_relaxed);
        std::vector<EventPtr>().swap(watcher->pending);  // the memory goes now
        watcher->wake.Signal();
      } else if (handed && now >= watcher->quiet_until) {
        watcher->wake.Signal();
      }
    }
    dispatched_ = *next;
  }
}

absl::Status WatchHub::Send(const v1::WatchResponse& response, const Stream& stream,
                            Progress* progress) {
  const absl::Time give_up = absl::Now() + options_.max_stall;
  while (true) {
    switch (stream.send(response, std::min(give_up, absl::Now() + kGoneCheck))) {
      case Stream::Sent::kSent:
        events_sent_.fetch_add(static_cast<uint64_t>(response.events_size()),
                               std::memory_order_relaxed);
        progress->told = response.revision();
        progress->last_sent = absl::Now();
        return absl::OkStatus();
      case Stream::Sent::kGone:
        return absl::CancelledError("the client went away");
      case Stream::Sent::kTimedOut:
        break;
    }
    {
      absl::MutexLock lock(&mu_);
      if (closed_) return Closed(progress->told + 1);
    }
    if (absl::Now() >= give_up) {
      cut_off_.fetch_add(1, std::memory_order_relaxed);
      return TooSlow(progress->told + 1, absl::StrCat("took no response for ",
                                                      absl::FormatDuration(options_.max_stall)));
    }
  }
}

absl::Status WatchHub::SendEvents(const std::vector<EventPtr>& events, EventPosition next,
                                  const Stream& stream, Progress* progress) {
  const size_t max_events = options_.max_events_per_response;
  v1::WatchResponse response;
  size_t bytes = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    const v1::Event& event = *events[i];
    const bool last = i + 1 == events.size();
    *response.add_events() = event;
    bytes += event.ByteSizeLong();
    // Whether every matching event of this revision is in `response` now.
    const bool revision_ends =
        last ? event.revision() < next.revision : events[i + 1]->revision() != event.revision();
    const size_t count = static_cast<size_t>(response.events_size());
    const bool full = count >= max_events || bytes >= kMaxResponseBytes;
    const bool too_full = count >= 4 * max_events || bytes >= 2 * kMaxResponseBytes;
    if (last || (revision_ends && full) || too_full) {
      response.set_fragment(!revision_ends);
      response.set_revision(!revision_ends ? event.revision() - 1
                            : last         ? next.revision - 1
                                           : event.revision());
      RETURN_IF_ERROR(Send(response, stream, progress));
      response.Clear();
      bytes = 0;
    }
  }
  progress->next = next;
  return absl::OkStatus();
}

absl::Status WatchHub::MaybeSendProgress(const Stream& stream, Progress* progress) {
  if (absl::Now() - progress->last_sent < progress->interval) return absl::OkStatus();
  v1::WatchResponse response;
  response.set_revision(std::max(progress->told, progress->next.revision - 1));
  return Send(response, stream, progress);
}

absl::Status WatchHub::CatchUp(const Filter& filter, const Stream& stream, Progress* progress) {
  while (store_->durable_revision() - progress->next.revision >= kRegisterGap) {
    const int64_t upto = store_->durable_revision();
    std::unique_ptr<ReadView> view = store_->Snapshot();
    ASSIGN_OR_RETURN(const int64_t oldest, OldestEventRevision(*view));
    if (progress->next.revision < oldest) return Compacted(progress->next.revision, oldest);
    std::vector<EventPtr> events;
    ASSIGN_OR_RETURN(const EventPosition next,
                     ReadMatching(*view, filter, progress->next, upto, kEventsPerRead, &events));
    if (events.empty()) {
      progress->next = next;
      RETURN_IF_ERROR(MaybeSendProgress(stream, progress));
    } else {
      RETURN_IF_ERROR(SendEvents(events, next, stream, progress));
    }
  }
  return absl::OkStatus();
}

absl::Status WatchHub::Follow(const Filter& filter, const Stream& stream, Progress* progress) {
  Watcher watcher;
  watcher.filter = filter;
  std::list<Watcher*>::iterator registered;
  while (true) {
    std::vector<EventPtr> events;
    EventPosition next;
    {
      absl::MutexLock lock(&mu_);
      if (closed_) return Closed(progress->told + 1);
      next = progress->next;
      if (next < dispatched_) {
        // Read what the dispatch thread handed over before, up to a queue's worth.
        std::unique_ptr<ReadView> view = store_->Snapshot();
        ASSIGN_OR_RETURN(const int64_t oldest, OldestEventRevision(*view));
        if (next.revision < oldest) return Compacted(next.revision, oldest);
        const int64_t to = dispatched_.index == 0 ? dispatched_.revision - 1 : dispatched_.revision;
        ASSIGN_OR_RETURN(next, ReadMatching(*view, watcher.filter, next, to,
                                            options_.max_pending_events, &events));
      }
      if (!(next < dispatched_)) {
        watcher.next = next;
        watcher.pending = std::move(events);
        registered = watchers_.insert(watchers_.end(), &watcher);
        break;
      }
    }
    // Still behind the dispatch thread: send what was read and read on.
    RETURN_IF_ERROR(SendEvents(events, next, stream, progress));
  }
  absl::Cleanup unregister = [this, registered] {
    absl::MutexLock lock(&mu_);
    watchers_.erase(registered);
  };

  absl::Time batch_at = absl::InfinitePast();  // when the next batch of events may go
  while (true) {
    std::vector<EventPtr> events;
    EventPosition next;
    bool all_taken;  // nothing left pending: `next` may be told as progress
    {
      absl::MutexLock lock(&mu_);
      const absl::Time now = absl::Now();
      const bool batching = !watcher.pending.empty() && now < batch_at;
      if ((watcher.pending.empty() || batching) && !watcher.behind && !closed_ &&
          watcher.error.ok()) {
        watcher.quiet_until = batching ? batch_at : absl::InfinitePast();
        absl::Time deadline = std::min(progress->last_sent + progress->interval, now + kGoneCheck);
        if (batching) deadline = std::min(deadline, batch_at);
        watcher.wake.WaitWithDeadline(&mu_, deadline);
      }
      if (closed_) return Closed(progress->told + 1);
      RETURN_IF_ERROR(watcher.error);
      if (watcher.behind) {
        progress->next = watcher.next;  // the first event it did not take
        return absl::OkStatus();
      }
      if (absl::Now() >= batch_at) events.swap(watcher.pending);
      all_taken = watcher.pending.empty();
      next = all_taken ? watcher.next : EventPosition::Of(*watcher.pending.front());
    }
    if (stream.gone()) return absl::CancelledError("the client went away");
    if (!events.empty()) {
      RETURN_IF_ERROR(SendEvents(events, next, stream, progress));
      batch_at = progress->last_sent + kBatchWindow;
    } else if (all_taken) {
      progress->next = next;
      RETURN_IF_ERROR(MaybeSendProgress(stream, progress));
    }
  }
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
  Progress progress;
  if (request.progress_interval_ms() != 0) {
    progress.interval = absl::Milliseconds(request.progress_interval_ms());
    if (progress.interval < absl::Milliseconds(100) || progress.interval > absl::Minutes(10)) {
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
  progress.next.revision = request.start_revision() == 0 ? durable + 1 : request.start_revision();
  {
    std::unique_ptr<ReadView> view = store_->Snapshot();
    ASSIGN_OR_RETURN(const int64_t oldest, OldestEventRevision(*view));
    if (progress.next.revision < oldest) return Compacted(progress.next.revision, oldest);
  }
  v1::WatchResponse start;
  start.set_revision(progress.next.revision - 1);
  RETURN_IF_ERROR(Send(start, stream, &progress));
  while (true) {
    RETURN_IF_ERROR(CatchUp(filter, stream, &progress));
    RETURN_IF_ERROR(Follow(filter, stream, &progress));
  }
}

}  // namespace d06
