// Reading and writing the entities of d06: the only code that knows entity keys and keeps
// an entity, its index entries (server/model/schema.h) and its events together. Every
// write of a unit, task or assignment goes through its Put*, so what must change with it
// (the report counters, the deadline queue) is kept in one writer per entity.
//
//   ASSIGN_OR_RETURN(std::optional<v1::Task> before, LoadTask(txn.reader(), id));
//   v1::Task after = *before;
//   after.set_title("...");
//   v1::Event* event = PutTask(txn, change, &*before, after, v1::EVENT_ACTION_UPDATE_TASK);
//   event->add_changed_fields("title");
//
// Thread-compatible: writes stage into a Txn on the store's writer thread.
#ifndef D06_SERVER_MODEL_ENTITIES_H_
#define D06_SERVER_MODEL_ENTITIES_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "d06/v1/access.pb.h"
#include "d06/v1/task.pb.h"
#include "d06/v1/unit.pb.h"
#include "server/domain/caller.h"
#include "server/model/schema.h"
#include "storage/store.h"

namespace d06 {

// Who made a change and when: stamped on each event of the change.
struct ChangeContext {
  std::string actor;
  // The portal that acted for `actor`, if any (Event.via).
  std::string via;
  std::string request_id;
  absl::Time time;
  // The server's due-soon window in days, for the deadline queue (deadline_queue.h).
  int due_soon_days = 3;
  // Who asked, for the authorisation of the change on the writer (server/core/
  // authorize.h); never null in a mutation's body.
  const Caller* caller = nullptr;
};

// ---- reads (absent: std::nullopt; unparsable: DATA_LOSS) ----
absl::StatusOr<std::optional<v1::Unit>> LoadUnit(const ReadView& view, absl::string_view code);
absl::StatusOr<std::optional<v1::Task>> LoadTask(const ReadView& view, uint64_t id);
absl::StatusOr<std::optional<v1::Assignment>> LoadAssignment(const ReadView& view, uint64_t task_id,
                                                             absl::string_view code);
// Every assignment of one task, by unit code: one prefix read (a task has a handful).
absl::StatusOr<std::vector<v1::Assignment>> LoadAssignments(const ReadView& view, uint64_t task_id);
// The event a task history index entry points to: `suffix` is what follows
// TaskHistoryPrefix (the event's revision and index).
absl::StatusOr<std::optional<v1::Event>> LoadHistoryEvent(const ReadView& view,
                                                          absl::string_view suffix);
// The unit's code and those of its ancestors, nearest first: at most kMaxUnitDepth
// (common limits), which CreateUnit enforces; a longer chain (a cycle, or data written
// before the limit) is DATA_LOSS.
absl::StatusOr<std::vector<std::string>> Ancestry(const ReadView& view, std::string code);
// As Ancestry, but leaves in *chain as much of it as could be walked, also on an error;
// stops early (the units above not read) once `enough` says the chain so far is enough.
using EnoughOfChain = absl::FunctionRef<bool(const std::vector<std::string>&)>;
absl::Status WalkAncestry(
    const ReadView& view, std::string code, std::vector<std::string>* chain,
    EnoughOfChain enough = [](const std::vector<std::string>&) { return false; });
// WalkAncestry with the parents from `parent_of` (the parent's code, empty for a root;
// std::nullopt for no such unit: the chain ends there).
using ParentOf = absl::FunctionRef<absl::StatusOr<std::optional<std::string>>(const std::string&)>;
absl::Status WalkUp(ParentOf parent_of, std::string code, std::vector<std::string>* chain,
                    EnoughOfChain enough);
// As Ancestry, but a chain that cannot be walked to its root (a cycle, or deeper than
// kMaxUnitDepth from before that limit: DATA_LOSS) is what could be walked, so that one
// unit's broken chain fails no one's read; other errors are returned.
absl::StatusOr<std::vector<std::string>> WalkableAncestry(const ReadView& view, std::string code);

// ---- writes: the entity, its index entries moved from `before` (null: a new entity)
// to `after`, and an event of `action` carrying `after`. They return the event for the
// caller to complete (reason, changed fields); it lives until the Txn commits. ----
v1::Event* PutUnit(Txn& txn, const ChangeContext& change, const v1::Unit* before,
                   const v1::Unit& after, v1::EventAction action);
// What a batch that reorganises units knows ahead of its reads, which see only what was
// committed before it: units it creates or merges. Null: nothing, read the store.
struct TreeOverlay {
  // A unit's ancestry (its code first), for a unit the store does not have yet.
  std::map<std::string, std::vector<std::string>> ancestry;
  // A unit merged or dissolved by the batch: its successor, whose reports count its work.
  std::map<std::string, std::string> counted_at;
};
// The ancestry of `code`, from `overlay` if it has it.
absl::StatusOr<std::vector<std::string>> AncestryIn(const ReadView& view,
                                                    const TreeOverlay* overlay,
                                                    const std::string& code);
// The ancestry of the unit whose reports count the work of unit `code` now: its own, or
// once it is merged or dissolved its successor's (reorganization.h CountingUnit).
absl::StatusOr<std::vector<std::string>> CountingAncestry(const ReadView& view,
                                                          const TreeOverlay* overlay,
                                                          const std::string& code);

// A task whose category, directive or labels change moves its lead's report counters to
// the new groups (reading the lead and its unit tree); one whose assigning unit changes
// (a merge) joins the new one's "ti" ranges.
absl::StatusOr<v1::Event*> PutTask(Txn& txn, const ChangeContext& change, const v1::Task* before,
                                   const v1::Task& after, v1::EventAction action,
                                   const TreeOverlay* overlay = nullptr);
// The index entries PutAssignment keeps for `a` of task `task_id`, whose unit's ancestry
// is `ancestry`, besides the task's "ti" entries: the assignment indexes
// (AssignmentIndexEntries) and its deadline queue entries (DeadlineQueueEntries).
IndexEntries AssignmentEntries(const v1::Assignment& a, uint64_t task_id,
                               const std::vector<std::string>& ancestry, int due_soon_days);
// Also records the old and new state on the event; `after.timeliness` is not stored (it
// is derived on every read). Reads the unit tree for the ancestry index, and stages the
// change of a lead's report counters (report_counters.h).
absl::StatusOr<v1::Event*> PutAssignment(Txn& txn, const ChangeContext& change,
                                         const v1::Task& task, const v1::Assignment* before,
                                         const v1::Assignment& after, v1::EventAction action,
                                         const TreeOverlay* overlay = nullptr);

// ---- period reports of recurring tasks ----
// Writes `report` (its name and period set) of the assignment; no event (the caller's
// assignment write carries it).
void PutPeriodReport(Txn& txn, uint64_t task_id, absl::string_view unit_code,
                     const v1::PeriodReport& report);
// The period reports of an assignment, oldest first: one page after `after` (a suffix
// from a previous page, "" for the first), and the suffix to resume at ("" at the end).
absl::StatusOr<std::string> ListPeriodReportPage(
    const ReadView& view, uint64_t task_id, absl::string_view unit_code, absl::string_view after,
    int page_size, google::protobuf::RepeatedPtrField<v1::PeriodReport>* out);

// ---- access: principals and tokens ----
// "principals/{id}" of an id, and back.
absl::StatusOr<std::optional<v1::Principal>> LoadPrincipal(const ReadView& view,
                                                           absl::string_view id);
// Every principal, by id, after `after_id` ("" from the first), until fn returns false.
absl::Status ScanPrincipals(const ReadView& view, absl::string_view after_id,
                            const std::function<bool(v1::Principal)>& fn);
// The id of the principal that answers to certificate subject `subject`, if any.
absl::StatusOr<std::optional<std::string>> PrincipalIdOfSubject(const ReadView& view,
                                                                absl::string_view subject);
// Writes the principal and moves its certificate-subject index entries; the event
// (CREATE_PRINCIPAL, UPDATE_PRINCIPAL) carries `after`.
v1::Event* PutPrincipal(Txn& txn, const ChangeContext& change, const v1::Principal* before,
                        const v1::Principal& after, v1::EventAction action);

// A token as stored: the SHA-256 of its secret and the Token.
struct StoredToken {
  std::string principal_id;
  std::string token_id;
  std::string hash;
  v1::Token token;
};
absl::StatusOr<std::optional<StoredToken>> LoadToken(const ReadView& view,
                                                     absl::string_view principal_id,
                                                     absl::string_view token_id);
// The token whose secret has SHA-256 `hash`, if any (the caller compares the stored hash
// with HashesEqual: the index is a lookup, not the check).
absl::StatusOr<std::optional<StoredToken>> LoadTokenByHash(const ReadView& view,
                                                           absl::string_view hash);
// A principal's tokens, by id, after `after_id`, until fn returns false.
absl::Status ScanTokens(const ReadView& view, absl::string_view principal_id,
                        absl::string_view after_id, const std::function<bool(StoredToken)>& fn);
// The index entries of a principal (its certificate subjects) and of a token (its hash).
IndexEntries PrincipalIndexEntries(const v1::Principal& principal);
IndexEntries TokenIndexEntries(const StoredToken& token);
// Writes a token (and, when new, its hash index entry). With an `action` (CREATE_TOKEN,
// REVOKE_TOKEN) records an event carrying the Token, never the secret or its hash;
// without (EVENT_ACTION_UNSPECIFIED, e.g. its last use) returns null.
absl::StatusOr<v1::Event*> PutToken(Txn& txn, const ChangeContext& change, const StoredToken& token,
                                    bool is_new, v1::EventAction action);

// Whether task `id` involves the subtree of one of `roots` (the "ti" index).
absl::StatusOr<bool> TaskInvolves(const ReadView& view, uint64_t id,
                                  const std::vector<std::string>& roots);

// ---- the audience of events (Event.audience: who receives them in the feed) ----
// Adds `unit_name` ("units/X") to the event's audience unless it is there.
void AddAudience(v1::Event* event, absl::string_view unit_name);
// The audience of an event of `task` or of one of its assignments: its assigning unit
// and the units of its assignments as committed (a mutation that adds several adds the
// ones it staged itself).
absl::Status SetTaskAudience(const ReadView& view, const v1::Task& task, v1::Event* event);
// The "ua" entries of a new unit whose ancestry (its code first, then up to the root)
// is `ancestry`: a unit's parent never changes.
void PutUnitSubtree(Txn& txn, const std::vector<std::string>& ancestry);

// ---- task ids and idempotency records ----
// The next task id (from 1), staged in `txn`.
absl::StatusOr<uint64_t> NextTaskId(Txn& txn);

// What a mutation answered under a request_id: the fingerprint of its request and the
// serialized response a retry gets.
struct IdempotencyRecord {
  uint64_t fingerprint = 0;
  std::string response;
};
absl::StatusOr<std::optional<IdempotencyRecord>> LoadIdempotencyRecord(
    const ReadView& view, absl::string_view request_id);
void PutIdempotencyRecord(Txn& txn, absl::string_view request_id, const IdempotencyRecord& record);

}  // namespace d06

#endif  // D06_SERVER_MODEL_ENTITIES_H_
