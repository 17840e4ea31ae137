#include "server/model/entities.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/limits.h"
#include "server/domain/dates.h"
#include "server/domain/names.h"
#include "server/domain/page_limit.h"
#include "server/model/deadline_queue.h"
#include "server/model/reorganization.h"
#include "server/model/report_counters.h"
#include "server/model/schema.h"
#include "storage/keys.h"
#include "storage/status_macros.h"

namespace d06 {
namespace {

template <typename T>
absl::StatusOr<std::optional<T>> Load(const ReadView& view, const std::string& key) {
  T entity;
  ASSIGN_OR_RETURN(bool found, view.GetProto(Cf::kEntities, key, &entity));
  if (!found) return std::nullopt;
  return entity;
}

// Puts the index entries that `after` has and `before` had not (or had with another
// value); deletes the keys that only `before` had.
void MoveIndexes(Txn& txn, const IndexEntries& before, const IndexEntries& after) {
  absl::flat_hash_map<absl::string_view, absl::string_view> had, keep;
  for (const IndexEntry& entry : before) had.emplace(entry.key, entry.value);
  for (const IndexEntry& entry : after) keep.emplace(entry.key, entry.value);
  for (const IndexEntry& entry : before) {
    if (!keep.contains(entry.key)) txn.Delete(Cf::kIndexes, entry.key);
  }
  // In key order: the memtable inserts a batch's keys faster in order.
  std::vector<std::pair<absl::string_view, absl::string_view>> puts;
  for (const auto& [key, value] : keep) {
    auto it = had.find(key);
    if (it == had.end() || it->second != value) puts.emplace_back(key, value);
  }
  std::sort(puts.begin(), puts.end());
  for (const auto& [key, value] : puts) txn.Put(Cf::kIndexes, key, value);
}

// An event of `change` on `resource`, in the task's history when `task_id` is not 0.
v1::Event* AddEvent(Txn& txn, const ChangeContext& change, v1::EventAction action,
                    absl::string_view resource, uint64_t task_id) {
  v1::Event event;
  *event.mutable_time() = ToTimestamp(change.time);
  event.set_actor(change.actor);
  event.set_via(change.via);
  event.set_action(action);
  event.set_resource(std::string(resource));
  event.set_request_id(change.request_id);
  v1::Event* added = txn.AddEvent(std::move(event));
  if (task_id != 0) {
    txn.Put(Cf::kIndexes, TaskHistoryKey(task_id, added->revision(), added->index()), "");
  }
  return added;
}

}  // namespace

absl::StatusOr<bool> TaskInvolves(const ReadView& view, uint64_t id,
                                  const std::vector<std::string>& roots) {
  for (const std::string& root : roots) {
    std::string key = TasksInvolvingPrefix(root);
    keys::PutU64(&key, id);
    ASSIGN_OR_RETURN(std::optional<std::string> found, view.Get(Cf::kIndexes, key));
    if (found) return true;
  }
  return false;
}

void AddAudience(v1::Event* event, absl::string_view unit_name) {
  for (const std::string& unit : event->audience()) {
    if (unit == unit_name) return;
  }
  event->add_audience(std::string(unit_name));
}

absl::Status SetTaskAudience(const ReadView& view, const v1::Task& task, v1::Event* event) {
  AddAudience(event, task.assigning_unit());
  // The units come from the assignments' keys (keys::AssignmentKey: the prefix, then the
  // unit's code): a task of a hundred assignments costs a scan, not a hundred parses. A
  // unit has one assignment on a task, so each is new unless the event named it before.
  const int named_before = event->audience_size();
  bool parsed = true;
  RETURN_IF_ERROR(view.ScanPrefix(Cf::kEntities, keys::AssignmentPrefix(IdOf(task.name())), "",
                                  [&](absl::string_view suffix, absl::string_view) {
                                    std::string code;
                                    parsed = keys::GetString(&suffix, &code) && suffix.empty();
                                    if (!parsed) return false;
                                    std::string unit = UnitName(code);
                                    const auto named = event->audience().begin();
                                    if (std::find(named, named + named_before, unit) ==
                                        named + named_before) {
                                      event->add_audience(std::move(unit));
                                    }
                                    return true;
                                  }));
  if (!parsed) return absl::DataLossError("an assignment key does not parse");
  return absl::OkStatus();
}

void PutUnitSubtree(Txn& txn, const std::vector<std::string>& ancestry) {
  MoveIndexes(txn, {}, UnitSubtreeEntries(ancestry));
}

absl::StatusOr<std::optional<v1::Unit>> LoadUnit(const ReadView& view, absl::string_view code) {
  return Load<v1::Unit>(view, keys::UnitKey(code));
}

absl::StatusOr<std::optional<v1::Task>> LoadTask(const ReadView& view, uint64_t id) {
  return Load<v1::Task>(view, keys::TaskKey(id));
}

absl::StatusOr<std::optional<v1::Assignment>> LoadAssignment(const ReadView& view, uint64_t task_id,
                                                             absl::string_view code) {
  return Load<v1::Assignment>(view, keys::AssignmentKey(task_id, code));
}

absl::StatusOr<std::vector<v1::Assignment>> LoadAssignments(const ReadView& view,
                                                            uint64_t task_id) {
  std::vector<v1::Assignment> out;
  bool parsed = true;
  RETURN_IF_ERROR(view.ScanPrefix(Cf::kEntities, keys::AssignmentPrefix(task_id), "",
                                  [&](absl::string_view, absl::string_view value) {
                                    parsed = out.emplace_back().ParseFromArray(
                                        value.data(), static_cast<int>(value.size()));
                                    return parsed;
                                  }));
  if (!parsed) return absl::DataLossError("a stored assignment does not parse");
  return out;
}

absl::StatusOr<std::optional<v1::Event>> LoadHistoryEvent(const ReadView& view,
                                                          absl::string_view suffix) {
  v1::Event event;
  ASSIGN_OR_RETURN(bool found, view.GetProto(Cf::kEvents, suffix, &event));  // the event key
  if (!found) return std::nullopt;
  return event;
}

absl::Status WalkUp(ParentOf parent_of, std::string code, std::vector<std::string>* chain,
                    EnoughOfChain enough) {
  chain->clear();
  while (!code.empty()) {
    if (chain->size() >= static_cast<size_t>(kMaxUnitDepth)) {
      return absl::DataLossError(absl::StrCat("the unit tree above units/", chain->front(),
                                              " is deeper than ", kMaxUnitDepth,
                                              " levels or has a cycle (at units/", code, ")"));
    }
    chain->push_back(code);
    if (enough(*chain)) break;
    ASSIGN_OR_RETURN(std::optional<std::string> parent, parent_of(code));
    if (!parent) break;
    code = *std::move(parent);
  }
  return absl::OkStatus();
}

absl::Status WalkAncestry(const ReadView& view, std::string code, std::vector<std::string>* chain,
                          EnoughOfChain enough) {
  return WalkUp(
      [&](const std::string& unit_code) -> absl::StatusOr<std::optional<std::string>> {
        ASSIGN_OR_RETURN(std::optional<v1::Unit> unit, LoadUnit(view, unit_code));
        if (!unit) return std::nullopt;
        return CodeOf(unit->parent());
      },
      std::move(code), chain, enough);
}

absl::StatusOr<std::vector<std::string>> WalkableAncestry(const ReadView& view, std::string code) {
  std::vector<std::string> chain;
  absl::Status walked = WalkAncestry(view, std::move(code), &chain);
  if (!walked.ok() && !absl::IsDataLoss(walked)) return walked;
  return chain;
}

absl::StatusOr<std::vector<std::string>> Ancestry(const ReadView& view, std::string code) {
  std::vector<std::string> chain;
  RETURN_IF_ERROR(WalkAncestry(view, std::move(code), &chain));
  return chain;
}

v1::Event* PutUnit(Txn& txn, const ChangeContext& change, const v1::Unit* before,
                   const v1::Unit& after, v1::EventAction action) {
  txn.PutProto(Cf::kEntities, keys::UnitKey(after.code()), after);
  MoveIndexes(txn, before ? UnitIndexEntries(*before) : IndexEntries(), UnitIndexEntries(after));
  v1::Event* event = AddEvent(txn, change, action, after.name(), 0);
  *event->mutable_unit() = after;
  event->add_audience(after.name());
  return event;
}

absl::StatusOr<std::vector<std::string>> AncestryIn(const ReadView& view,
                                                    const TreeOverlay* overlay,
                                                    const std::string& code) {
  if (overlay != nullptr) {
    auto it = overlay->ancestry.find(code);
    if (it != overlay->ancestry.end()) return it->second;
  }
  return Ancestry(view, code);
}

absl::StatusOr<std::vector<std::string>> CountingAncestry(const ReadView& view,
                                                          const TreeOverlay* overlay,
                                                          const std::string& code) {
  if (overlay != nullptr) {
    auto it = overlay->counted_at.find(code);
    if (it != overlay->counted_at.end()) return AncestryIn(view, overlay, it->second);
  }
  ASSIGN_OR_RETURN(std::string counting, CountingUnit(view, code, std::nullopt));
  return AncestryIn(view, overlay, counting);
}

absl::StatusOr<v1::Event*> PutTask(Txn& txn, const ChangeContext& change, const v1::Task* before,
                                   const v1::Task& after, v1::EventAction action,
                                   const TreeOverlay* overlay) {
  const uint64_t id = IdOf(after.name());
  txn.PutProto(Cf::kEntities, keys::TaskKey(id), after);
  MoveIndexes(txn, before ? TaskIndexEntries(*before) : IndexEntries(), TaskIndexEntries(after));
  // A new task, or one that a merge gave to the successor of its assigning unit (whose
  // old ranges it keeps: that unit stays involved, as history).
  if (before == nullptr || before->assigning_unit() != after.assigning_unit()) {
    ASSIGN_OR_RETURN(std::vector<std::string> ancestry,
                     AncestryIn(txn.reader(), overlay, CodeOf(after.assigning_unit())));
    MoveIndexes(txn, {}, TaskInvolvementEntries(id, ancestry));
  }
  if (before != nullptr && GroupsDiffer(*before, after)) {
    ASSIGN_OR_RETURN(std::vector<v1::Assignment> assignments, LoadAssignments(txn.reader(), id));
    for (const v1::Assignment& a : assignments) {
      if (a.role() != v1::ASSIGNMENT_ROLE_LEAD) continue;
      ASSIGN_OR_RETURN(std::vector<std::string> ancestry,
                       CountingAncestry(txn.reader(), overlay, CodeOf(a.unit())));
      StageLeadChange(txn, *before, after, &a, a, ancestry);
    }
  }
  v1::Event* event = AddEvent(txn, change, action, after.name(), id);
  *event->mutable_task() = after;
  RETURN_IF_ERROR(SetTaskAudience(txn.reader(), after, event));
  return event;
}

IndexEntries AssignmentEntries(const v1::Assignment& a, uint64_t task_id,
                               const std::vector<std::string>& ancestry, int due_soon_days) {
  IndexEntries out = AssignmentIndexEntries(a, task_id, ancestry);
  IndexEntries queued = DeadlineQueueEntries(a, task_id, due_soon_days);
  out.insert(out.end(), queued.begin(), queued.end());
  return out;
}

absl::StatusOr<v1::Event*> PutAssignment(Txn& txn, const ChangeContext& change,
                                         const v1::Task& task, const v1::Assignment* before,
                                         const v1::Assignment& after, v1::EventAction action,
                                         const TreeOverlay* overlay) {
  const uint64_t task_id = IdOf(task.name());
  const std::string code = CodeOf(after.unit());
  ASSIGN_OR_RETURN(std::vector<std::string> ancestry, AncestryIn(txn.reader(), overlay, code));
  // Reports count it where its unit's work counts (a merged unit's: at the successor).
  std::vector<std::string> counted;
  if (overlay == nullptr || overlay->counted_at.count(code) == 0) {
    ASSIGN_OR_RETURN(const std::string counting, CountingUnit(txn.reader(), code, std::nullopt));
    if (counting == code) counted = ancestry;
  }
  if (counted.empty()) {
    ASSIGN_OR_RETURN(counted, CountingAncestry(txn.reader(), overlay, code));
  }
  StageLeadChange(txn, task, task, before, after, counted);
  auto entries = [&](const v1::Assignment& a) {
    return AssignmentEntries(a, task_id, ancestry, change.due_soon_days);
  };
  MoveIndexes(txn, before ? entries(*before) : IndexEntries(), entries(after));
  if (before == nullptr) MoveIndexes(txn, {}, TaskInvolvementEntries(task_id, ancestry));
  v1::Assignment stored = after;
  stored.clear_timeliness();  // derived on every read
  stored.clear_missing_period_reports();
  txn.PutProto(Cf::kEntities, keys::AssignmentKey(task_id, code), stored);
  v1::Event* event = AddEvent(txn, change, action, after.name(), task_id);
  if (before != nullptr) event->set_old_state(before->state());
  event->set_new_state(after.state());
  *event->mutable_assignment() = after;
  RETURN_IF_ERROR(SetTaskAudience(txn.reader(), task, event));
  AddAudience(event, after.unit());
  return event;
}

void PutPeriodReport(Txn& txn, uint64_t task_id, absl::string_view unit_code,
                     const v1::PeriodReport& report) {
  txn.PutProto(Cf::kEntities,
               keys::PeriodReportKey(task_id, unit_code, DeadlineKeyOf(report.period_start())),
               report);
}

absl::StatusOr<std::string> ListPeriodReportPage(
    const ReadView& view, uint64_t task_id, absl::string_view unit_code, absl::string_view after,
    int page_size, google::protobuf::RepeatedPtrField<v1::PeriodReport>* out) {
  std::string last;
  bool more = false;
  bool parsed = true;
  PageLimit limit(page_size);
  RETURN_IF_ERROR(view.ScanPrefix(Cf::kEntities, keys::PeriodReportPrefix(task_id, unit_code),
                                  after, [&](absl::string_view suffix, absl::string_view value) {
                                    if (limit.Full(out->size())) {
                                      more = true;
                                      return false;
                                    }
                                    v1::PeriodReport* report = out->Add();
                                    parsed = report->ParseFromArray(value.data(),
                                                                    static_cast<int>(value.size()));
                                    limit.Add(*report);
                                    last = std::string(suffix);
                                    return parsed;
                                  }));
  if (!parsed) return absl::DataLossError("a stored period report does not parse");
  return more ? last : std::string();
}

absl::StatusOr<uint64_t> NextTaskId(Txn& txn) { return txn.NextCounter(keys::kMetaNextTaskId); }

absl::StatusOr<std::optional<IdempotencyRecord>> LoadIdempotencyRecord(
    const ReadView& view, absl::string_view request_id) {
  ASSIGN_OR_RETURN(std::optional<std::string> stored, view.Get(Cf::kIdempotency, request_id));
  if (!stored) return std::nullopt;
  absl::string_view in = *stored;
  IdempotencyRecord record;
  if (!keys::GetU64(&in, &record.fingerprint)) {
    return absl::DataLossError("idempotency record is malformed");
  }
  record.response = std::string(in);
  return record;
}

void PutIdempotencyRecord(Txn& txn, absl::string_view request_id, const IdempotencyRecord& record) {
  std::string value;
  keys::PutU64(&value, record.fingerprint);
  value += record.response;
  txn.Put(Cf::kIdempotency, request_id, value);
}

// ---- access ----

namespace {

absl::StatusOr<std::optional<StoredToken>> ParseStoredToken(absl::string_view principal_id,
                                                            absl::string_view token_id,
                                                            absl::string_view value) {
  constexpr size_t kHashBytes = 32;
  StoredToken out{std::string(principal_id), std::string(token_id), "", {}};
  if (value.size() < kHashBytes ||
      !out.token.ParseFromArray(value.data() + kHashBytes,
                                static_cast<int>(value.size() - kHashBytes))) {
    return absl::DataLossError("a stored token does not parse");
  }
  out.hash = std::string(value.substr(0, kHashBytes));
  return out;
}

}  // namespace

absl::StatusOr<std::optional<v1::Principal>> LoadPrincipal(const ReadView& view,
                                                           absl::string_view id) {
  return Load<v1::Principal>(view, keys::PrincipalKey(id));
}

absl::Status ScanPrincipals(const ReadView& view, absl::string_view after_id,
                            const std::function<bool(v1::Principal)>& fn) {
  std::string after;
  if (!after_id.empty()) keys::PutString(&after, after_id);
  bool parsed = true;
  RETURN_IF_ERROR(view.ScanPrefix(Cf::kEntities, keys::kPrincipalPrefix, after,
                                  [&](absl::string_view, absl::string_view value) {
                                    v1::Principal principal;
                                    parsed = principal.ParseFromArray(
                                        value.data(), static_cast<int>(value.size()));
                                    return parsed && fn(std::move(principal));
                                  }));
  if (!parsed) return absl::DataLossError("a stored principal does not parse");
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> PrincipalIdOfSubject(const ReadView& view,
                                                                absl::string_view subject) {
  return view.Get(Cf::kIndexes, keys::SubjectKey(subject));
}

IndexEntries PrincipalIndexEntries(const v1::Principal& principal) {
  const std::string id(absl::StripPrefix(principal.name(), "principals/"));
  IndexEntries out;
  for (const std::string& subject : principal.certificate_subjects()) {
    out.push_back({keys::SubjectKey(subject), id});
  }
  return out;
}

IndexEntries TokenIndexEntries(const StoredToken& token) {
  std::string ref;
  keys::PutString(&ref, token.principal_id);
  keys::PutString(&ref, token.token_id);
  return {{keys::TokenHashKey(token.hash), std::move(ref)}};
}

v1::Event* PutPrincipal(Txn& txn, const ChangeContext& change, const v1::Principal* before,
                        const v1::Principal& after, v1::EventAction action) {
  const std::string id(absl::StripPrefix(after.name(), "principals/"));
  MoveIndexes(txn, before ? PrincipalIndexEntries(*before) : IndexEntries(),
              PrincipalIndexEntries(after));
  txn.PutProto(Cf::kEntities, keys::PrincipalKey(id), after);
  v1::Event* event = AddEvent(txn, change, action, after.name(), 0);
  *event->mutable_principal() = after;
  if (!after.unit().empty()) event->add_audience(after.unit());
  return event;
}

absl::StatusOr<std::optional<StoredToken>> LoadToken(const ReadView& view,
                                                     absl::string_view principal_id,
                                                     absl::string_view token_id) {
  ASSIGN_OR_RETURN(std::optional<std::string> value,
                   view.Get(Cf::kEntities, keys::TokenKey(principal_id, token_id)));
  if (!value.has_value()) return std::nullopt;
  return ParseStoredToken(principal_id, token_id, *value);
}

absl::StatusOr<std::optional<StoredToken>> LoadTokenByHash(const ReadView& view,
                                                           absl::string_view hash) {
  ASSIGN_OR_RETURN(std::optional<std::string> ref,
                   view.Get(Cf::kIndexes, keys::TokenHashKey(hash)));
  if (!ref.has_value()) return std::nullopt;
  absl::string_view in = *ref;
  std::string principal_id, token_id;
  if (!keys::GetString(&in, &principal_id) || !keys::GetString(&in, &token_id)) {
    return absl::DataLossError("a token hash index entry does not parse");
  }
  return LoadToken(view, principal_id, token_id);
}

absl::Status ScanTokens(const ReadView& view, absl::string_view principal_id,
                        absl::string_view after_id, const std::function<bool(StoredToken)>& fn) {
  std::string after;
  if (!after_id.empty()) keys::PutString(&after, after_id);
  absl::Status error;
  RETURN_IF_ERROR(view.ScanPrefix(Cf::kEntities, keys::TokenPrefix(principal_id), after,
                                  [&](absl::string_view suffix, absl::string_view value) {
                                    std::string token_id;
                                    if (!keys::GetString(&suffix, &token_id)) {
                                      error = absl::DataLossError("a token key does not parse");
                                      return false;
                                    }
                                    absl::StatusOr<std::optional<StoredToken>> token =
                                        ParseStoredToken(principal_id, token_id, value);
                                    if (!token.ok()) {
                                      error = token.status();
                                      return false;
                                    }
                                    return fn(**std::move(token));
                                  }));
  return error;
}

absl::StatusOr<v1::Event*> PutToken(Txn& txn, const ChangeContext& change, const StoredToken& token,
                                    bool is_new, v1::EventAction action) {
  if (is_new) MoveIndexes(txn, {}, TokenIndexEntries(token));
  txn.Put(Cf::kEntities, keys::TokenKey(token.principal_id, token.token_id),
          token.hash + token.token.SerializeAsString());
  if (action == v1::EVENT_ACTION_UNSPECIFIED) return nullptr;
  v1::Event* event = AddEvent(txn, change, action, token.token.name(), 0);
  *event->mutable_token() = token.token;
  ASSIGN_OR_RETURN(std::optional<v1::Principal> owner,
                   LoadPrincipal(txn.reader(), token.principal_id));
  if (owner && !owner->unit().empty()) event->add_audience(owner->unit());
  return event;
}

}  // namespace d06
