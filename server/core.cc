#include "server/core.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/field_mask_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "server/dates.h"
#include "server/errors.h"
#include "server/filter.h"
#include "server/names.h"
#include "server/text.h"
#include "server/timeliness.h"
#include "storage/keys.h"
#include "storage/status_macros.h"

namespace d06 {
namespace {

using google::protobuf::Message;
using Op = FilterTerm::Op;

// Limits, in characters (code points).
constexpr size_t kMaxUnitName = 300;
constexpr size_t kMaxTitle = 500;
constexpr size_t kMaxContent = 10000;
constexpr size_t kMaxCategory = 200;
constexpr size_t kMaxDirectiveNumber = 100;
constexpr size_t kMaxDirectiveSummary = 2000;
constexpr size_t kMaxIssuer = 300;
constexpr size_t kMaxLabel = 100;
constexpr int kMaxLabels = 20;
constexpr size_t kMaxKpiDescription = 500;
constexpr size_t kMaxReason = 2000;
constexpr size_t kMaxQuery = 200;
constexpr size_t kMaxRequestId = 36;

// Pagination: default and maximum page sizes, and how many index entries one page may
// read before it returns a partial page (so a page's cost is bounded even when a filter
// matches little of the index it scans).
constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;
constexpr int kScanBudget = 20000;
// Tokens this server issues are far shorter; a longer one is refused unread.
constexpr size_t kMaxPageTokenBytes = 1024;

// ---------------------------------------------------------------------------------------
// Small helpers

google::protobuf::Timestamp ToProto(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t nanos = absl::ToUnixNanos(t);
  ts.set_seconds(nanos / 1000000000);
  ts.set_nanos(static_cast<int32_t>(nanos % 1000000000));
  return ts;
}

std::string Etag(int64_t revision) { return absl::StrCat("r", revision); }

absl::Status NotFound(absl::string_view what) {
  return Error(absl::StatusCode::kNotFound, "NOT_FOUND", absl::StrCat(what, " does not exist"),
               {{"resource", std::string(what)}});
}

absl::Status CheckEtag(absl::string_view field, absl::string_view sent,
                       absl::string_view current, absl::string_view resource) {
  if (sent.empty() || sent == current) return absl::OkStatus();
  return Error(absl::StatusCode::kAborted, "STALE_ETAG",
               absl::StrCat(resource, " has changed since it was read: read it again and "
                            "retry with its etag \"", current, "\"; ", field, " was ", Quote(sent)),
               {{"resource", std::string(resource)}});
}

// 64-bit FNV-1a: stable across processes and releases (page tokens and idempotency
// records outlive a restart).
uint64_t Fnv1a(absl::string_view bytes) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : bytes) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

// The fingerprint of a request's deterministic serialisation: the same request gives
// the same fingerprint in every process.
uint64_t Fingerprint(const Message& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    out.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&out);
  }
  return Fnv1a(absl::StrCat(message.GetDescriptor()->full_name(), "\n", bytes));
}

absl::Status ValidateRequestId(absl::string_view request_id) {
  if (request_id.size() > kMaxRequestId) {
    return InvalidField("request_id", absl::StrCat("request_id is ", request_id.size(),
                                                   " characters; at most 36 are allowed"));
  }
  for (char c : request_id) {
    if (c < 0x21 || c > 0x7E) {
      return InvalidField("request_id",
                          "request_id must be printable ASCII without spaces (e.g. a UUID)");
    }
  }
  return absl::OkStatus();
}

absl::Status Required(absl::string_view field) {
  return InvalidField(field, absl::StrCat(field, " is required"));
}

// Normalises a required or optional text field in place.
absl::Status NormalizeText(absl::string_view field, std::string* value, size_t max_chars,
                           bool required) {
  ASSIGN_OR_RETURN(*value, NormalizeField(field, *value, max_chars));
  if (required && value->empty()) return Required(field);
  return absl::OkStatus();
}

// A required enum field: set (not *_UNSPECIFIED) and a known value.
absl::Status CheckRequiredEnum(absl::string_view field, int value, bool (*is_valid)(int)) {
  if (value == 0) return Required(field);
  if (!is_valid(value)) {
    return InvalidField(field, absl::StrCat(field, " has unknown value ", value));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------
// Pagination

int PageSize(int requested) {
  if (requested <= 0) return kDefaultPageSize;
  return std::min(requested, kMaxPageSize);
}

absl::Status CheckPageSize(int requested) {
  if (requested < 0) {
    return InvalidField("page_size", "page_size must not be negative (0 means the default, 100)");
  }
  return absl::OkStatus();
}

// A page token is the cursor with a checksum that covers it and the list's scope (the
// kind of list, its parent, filter and query): web-safe base64 of
//   u8 version (2) | cursor | u64 FNV-1a of (scope, 0x00, version, cursor).
// Any change to a token (a character cut, added or altered), or its use with another
// parent, filter or query, is INVALID_PAGE_TOKEN instead of resuming somewhere else.
constexpr uint8_t kPageTokenVersion = 2;

uint64_t PageTokenChecksum(absl::string_view scope, absl::string_view body) {
  return Fnv1a(absl::StrCat(scope, absl::string_view("\0", 1), body));
}

std::string EncodePageToken(absl::string_view scope, absl::string_view cursor) {
  std::string raw;
  keys::PutU8(&raw, kPageTokenVersion);
  raw.append(cursor.data(), cursor.size());
  keys::PutU64(&raw, PageTokenChecksum(scope, raw));
  return absl::WebSafeBase64Escape(raw);
}

absl::Status InvalidPageToken() {
  return Error(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN",
               "page_token is not one this list returned for the same parent, filter and "
               "query; start again without a page_token",
               {{"field", "page_token"}});
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view token, absl::string_view scope) {
  if (token.empty()) return std::string();
  if (token.size() > kMaxPageTokenBytes) return InvalidPageToken();
  std::string raw;
  // Only the canonical encoding is accepted: base64 text that decodes to the same bytes
  // as another (e.g. different unused trailing bits) is an altered token too.
  if (!absl::WebSafeBase64Unescape(token, &raw) || absl::WebSafeBase64Escape(raw) != token ||
      raw.size() < 1 + 8 + 1) {
    return InvalidPageToken();
  }
  absl::string_view body(raw.data(), raw.size() - 8);
  absl::string_view tail(raw.data() + body.size(), 8);
  uint64_t checksum;
  if (static_cast<uint8_t>(body[0]) != kPageTokenVersion || !keys::GetU64(&tail, &checksum) ||
      checksum != PageTokenChecksum(scope, body)) {
    return InvalidPageToken();
  }
  return std::string(body.substr(1));
}

// Collects one page from an index scan. `match` loads the entity for a suffix and says
// whether it belongs on the page. Returns the cursor of the next page, empty at the end.
template <typename T>
absl::StatusOr<std::string> CollectPage(
    const ReadView& view, Cf cf, const std::vector<IndexRange>& ranges, absl::string_view after,
    int page_size, const std::function<absl::StatusOr<bool>(absl::string_view, T*)>& match,
    google::protobuf::RepeatedPtrField<T>* out) {
  absl::Status status;
  std::string last;
  std::string next;
  int scanned = 0;
  RETURN_IF_ERROR(view.ScanMerged(cf, ranges, after, [&](absl::string_view suffix, absl::string_view) {
    if (out->size() >= page_size || scanned >= kScanBudget) {
      next = last;  // there is more: resume after the last one looked at
      return false;
    }
    ++scanned;
    last = std::string(suffix);
    T item;
    absl::StatusOr<bool> matched = match(suffix, &item);
    if (!matched.ok()) {
      status = matched.status();
      return false;
    }
    if (*matched) *out->Add() = std::move(item);
    return true;
  }));
  RETURN_IF_ERROR(status);
  return next;
}

// ---------------------------------------------------------------------------------------
// Text search: the tasks whose words include every word of a query, found by
// intersecting the words' posting lists ("tx"/"tf" index keys, each ordered by task id).

std::string PostingPrefix(bool folded, absl::string_view word) {
  std::string prefix = folded ? "tf" : "tx";
  keys::PutString(&prefix, word);
  return prefix;
}

// Leapfrogs cursors over the postings of several words: each step seeks one list to the
// largest id any list is at, so the cost follows the shortest list, not the longest.
class PostingJoin {
 public:
  PostingJoin(const ReadView& view, bool folded, const std::vector<std::string>& words) {
    for (const std::string& word : words) {
      cursors_.push_back(view.NewPrefixCursor(Cf::kIndexes, PostingPrefix(folded, word)));
    }
  }

  // The smallest id >= target posted under every word, or 0 when there is none. Each
  // seek costs one unit of *budget; with the budget spent, returns nullopt (the caller
  // resumes at the same target later).
  absl::StatusOr<std::optional<uint64_t>> NextAtLeast(uint64_t target, int* budget) {
    size_t agreed = 0;
    for (size_t i = 0; agreed < cursors_.size(); i = (i + 1) % cursors_.size()) {
      if (*budget <= 0) return std::optional<uint64_t>();
      --*budget;
      std::string key;
      keys::PutU64(&key, target);
      RETURN_IF_ERROR(cursors_[i]->Seek(key));
      if (!cursors_[i]->Valid()) return std::optional<uint64_t>(0);
      absl::string_view suffix = cursors_[i]->suffix();
      uint64_t id;
      if (!keys::GetU64(&suffix, &id)) return absl::DataLossError("bad text index key");
      if (id == target) {
        ++agreed;
      } else {
        target = id;
        agreed = 1;
      }
    }
    return std::optional<uint64_t>(target);
  }

 private:
  std::vector<std::unique_ptr<PrefixCursor>> cursors_;
};

// Fills one page of a search: phase 0 lists the tasks that have every query word as
// typed (accents included), then phase 1 those that have every word only once folded
// ("de an" finds "Đề án"), each in id order. The page token's cursor is the phase byte
// and the last id looked at. A page reads at most kScanBudget index entries, so it may
// be short (with a next token) when the words rarely occur together.
absl::Status SearchTasks(const ReadView& view, const std::vector<std::string>& exact_words,
                         const std::vector<std::string>& folded_words, absl::string_view cursor,
                         int page_size,
                         const std::function<absl::StatusOr<bool>(uint64_t, v1::Task*)>& load,
                         absl::string_view scope, v1::ListTasksResponse* response) {
  uint8_t phase = 0;
  uint64_t after = 0;
  if (!cursor.empty()) {
    absl::string_view in = cursor;
    if (!keys::GetU8(&in, &phase) || phase > 1 || !keys::GetU64(&in, &after) || !in.empty()) {
      return InvalidPageToken();
    }
  }
  int budget = kScanBudget;
  auto stop_at = [&](uint64_t last_looked_at) {
    std::string next;
    keys::PutU8(&next, phase);
    keys::PutU64(&next, last_looked_at);
    response->set_next_page_token(EncodePageToken(scope, next));
    return absl::OkStatus();
  };
  for (; phase <= 1; ++phase, after = 0) {
    PostingJoin join(view, phase == 1, phase == 0 ? exact_words : folded_words);
    // In phase 1, the exact postings say which tasks phase 0 listed already.
    std::optional<PostingJoin> exact;
    if (phase == 1) exact.emplace(view, false, exact_words);
    for (uint64_t target = after + 1; target != 0;) {
      ASSIGN_OR_RETURN(std::optional<uint64_t> id, join.NextAtLeast(target, &budget));
      if (!id) return stop_at(target - 1);
      if (*id == 0) break;
      if (exact) {
        ASSIGN_OR_RETURN(std::optional<uint64_t> exact_id, exact->NextAtLeast(*id, &budget));
        if (!exact_id) return stop_at(*id - 1);
        if (*exact_id == *id) {
          target = *id + 1;
          continue;
        }
      }
      if (response->tasks_size() >= page_size) return stop_at(*id - 1);
      v1::Task task;
      ASSIGN_OR_RETURN(bool keep, load(*id, &task));
      if (keep) *response->add_tasks() = std::move(task);
      target = *id + 1;  // 0 after the largest id: the end
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------
// Index keys of each entity. A write puts the new set and deletes what left it.

void UpdateIndexes(Txn& txn, const std::vector<std::string>& old_keys,
                   const std::vector<std::string>& new_keys) {
  std::set<std::string> keep(new_keys.begin(), new_keys.end());
  for (const std::string& key : old_keys) {
    if (!keep.count(key)) txn.Delete(Cf::kIndexes, key);
  }
  std::set<std::string> had(old_keys.begin(), old_keys.end());
  for (const std::string& key : keep) {
    if (!had.count(key)) txn.Put(Cf::kIndexes, key, "");
  }
}

std::string CodeOf(absl::string_view unit_name) {
  absl::string_view code = unit_name;
  absl::ConsumePrefix(&code, "units/");
  return std::string(code);
}

uint64_t IdOf(absl::string_view task_name) {
  absl::string_view id = task_name;
  absl::ConsumePrefix(&id, "tasks/");
  uint64_t value = 0;
  (void)absl::SimpleAtoi(id, &value);
  return value;
}

std::string UnitParentPrefix(absl::string_view parent_code) {
  std::string key = "up";
  keys::PutString(&key, parent_code);
  return key;
}

}  // namespace

std::vector<std::string> UnitIndexKeys(const v1::Unit& unit) {
  std::string by_parent = UnitParentPrefix(CodeOf(unit.parent()));
  keys::PutU8(&by_parent, static_cast<uint8_t>(unit.state()));
  keys::PutU8(&by_parent, static_cast<uint8_t>(unit.kind()));
  keys::PutString(&by_parent, unit.code());
  std::string by_state = "us";
  keys::PutU8(&by_state, static_cast<uint8_t>(unit.state()));
  keys::PutU8(&by_state, static_cast<uint8_t>(unit.kind()));
  keys::PutString(&by_state, unit.code());
  return {by_parent, by_state};
}

namespace {

std::vector<std::string> TaskIndexKeys(const v1::Task& task) {
  const uint64_t id = IdOf(task.name());
  const auto state = static_cast<uint8_t>(task.state());
  std::vector<std::string> out;
  auto add = [&](std::string key) {
    keys::PutU64(&key, id);
    out.push_back(std::move(key));
  };
  std::string key = "ts";
  keys::PutU8(&key, state);
  add(key);
  key = "tu";
  keys::PutString(&key, CodeOf(task.assigning_unit()));
  keys::PutU8(&key, state);
  add(key);
  key = "tk";
  keys::PutU8(&key, static_cast<uint8_t>(task.kind()));
  keys::PutU8(&key, state);
  add(key);
  key = "tg";
  keys::PutU8(&key, static_cast<uint8_t>(task.urgency()));
  keys::PutU8(&key, state);
  add(key);
  for (const std::string& label : task.labels()) {
    key = "tl";
    keys::PutString(&key, label);
    keys::PutU8(&key, state);
    add(key);
  }
  if (!task.parent_task().empty()) {
    key = "tp";
    keys::PutU64(&key, IdOf(task.parent_task()));
    add(key);
  }
  std::string text = absl::StrCat(task.title(), "\n", task.content());
  absl::flat_hash_set<std::string> exact, folded;
  for (std::string& token : Tokenize(text)) {
    folded.insert(Fold(token));
    exact.insert(std::move(token));
  }
  for (const std::string& token : exact) {
    key = "tx";
    keys::PutString(&key, token);
    add(key);
  }
  for (const std::string& token : folded) {
    key = "tf";
    keys::PutString(&key, token);
    add(key);
  }
  return out;
}

uint8_t Bucket(const v1::Assignment& a) {
  if (a.state() == v1::ASSIGNMENT_STATE_COMPLETED &&
      ComputeTimeliness({a.state(), a.deadline(), a.submit_date()}, absl::CivilDay(), 0) ==
          v1::TIMELINESS_COMPLETED_LATE) {
    return keys::kBucketCompletedLate;
  }
  return static_cast<uint8_t>(a.state());
}

// The index byte of an assignment: its role and its bucket (keys.h).
uint8_t IndexBucket(v1::AssignmentRole role, uint8_t bucket) {
  return static_cast<uint8_t>(static_cast<int>(role) * keys::kRoleStride + bucket);
}

uint64_t DeadlineKeyOf(const v1::Date& deadline) {
  return IsZeroDate(deadline) ? keys::kNoDeadline
                              : keys::DeadlineKey(DayNumber(ToCivilDay(deadline)));
}

std::string SortKey(const v1::Assignment& a, uint64_t task_id, absl::string_view code) {
  std::string key;
  keys::PutU64(&key, DeadlineKeyOf(a.deadline()));
  keys::PutU64(&key, task_id);
  keys::PutString(&key, code);
  return key;
}

std::string AssignmentsByUnitPrefix(absl::string_view unit_code, uint8_t relation,
                                    uint8_t bucket) {
  std::string key = "au";
  keys::PutString(&key, unit_code);
  keys::PutU8(&key, relation);
  keys::PutU8(&key, bucket);
  return key;
}

std::string AllAssignmentsPrefix(uint8_t bucket) {
  std::string key = "ab";
  keys::PutU8(&key, bucket);
  return key;
}

// `ancestry` is the assigned unit's code, then its parent's, up to the root.
std::vector<std::string> AssignmentIndexKeys(const v1::Assignment& a, uint64_t task_id,
                                             const std::vector<std::string>& ancestry) {
  const uint8_t bucket = IndexBucket(a.role(), Bucket(a));
  const std::string sort = SortKey(a, task_id, ancestry.front());
  std::vector<std::string> out = {AllAssignmentsPrefix(bucket) + sort};
  for (size_t i = 0; i < ancestry.size(); ++i) {
    out.push_back(AssignmentsByUnitPrefix(ancestry[i], i == 0 ? 0 : 1, bucket) + sort);
  }
  return out;
}

std::string TaskHistoryPrefix(uint64_t task_id) {
  std::string key = "ht";
  keys::PutU64(&key, task_id);
  return key;
}

// ---------------------------------------------------------------------------------------
// Reads shared by mutations and lists

absl::StatusOr<std::optional<v1::Unit>> LoadUnit(const ReadView& view, absl::string_view code) {
  v1::Unit unit;
  ASSIGN_OR_RETURN(bool found, view.GetProto(Cf::kEntities, keys::UnitKey(code), &unit));
  if (!found) return std::nullopt;
  return unit;
}

absl::StatusOr<std::optional<v1::Task>> LoadTask(const ReadView& view, uint64_t id) {
  v1::Task task;
  ASSIGN_OR_RETURN(bool found, view.GetProto(Cf::kEntities, keys::TaskKey(id), &task));
  if (!found) return std::nullopt;
  return task;
}

absl::StatusOr<v1::Task> RequireTask(const ReadView& view, uint64_t id) {
  ASSIGN_OR_RETURN(std::optional<v1::Task> task, LoadTask(view, id));
  if (!task) return NotFound(TaskName(id));
  return *std::move(task);
}

// Every assignment of one task: one prefix read (a task has a handful).
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

// The task's live lead other than the assignment named `except`, or null.
const v1::Assignment* LiveLead(const std::vector<v1::Assignment>& assignments,
                               absl::string_view except) {
  for (const v1::Assignment& a : assignments) {
    if (a.name() != except && a.role() == v1::ASSIGNMENT_ROLE_LEAD && IsLive(a.state())) {
      return &a;
    }
  }
  return nullptr;
}

// The unit's code and those of its ancestors, nearest first.
absl::StatusOr<std::vector<std::string>> Ancestry(const ReadView& view, std::string code) {
  std::vector<std::string> chain;
  while (!code.empty()) {
    if (chain.size() > 64) return absl::DataLossError("unit tree has a cycle at " + code);
    chain.push_back(code);
    ASSIGN_OR_RETURN(std::optional<v1::Unit> unit, LoadUnit(view, code));
    if (!unit) break;
    code = CodeOf(unit->parent());
  }
  return chain;
}

absl::Status RequireActiveUnit(const ReadView& view, absl::string_view field,
                               absl::string_view code) {
  ASSIGN_OR_RETURN(std::optional<v1::Unit> unit, LoadUnit(view, code));
  if (!unit) return NotFound(UnitName(code));
  if (unit->state() != v1::UNIT_STATE_ACTIVE) {
    return Error(absl::StatusCode::kFailedPrecondition, "UNIT_NOT_ACTIVE",
                 absl::StrCat(field, ": unit ", unit->name(), " is ",
                              v1::UnitState_Name(unit->state()),
                              unit->successor().empty()
                                  ? std::string()
                                  : absl::StrCat("; use its successor ", unit->successor())),
                 {{"unit", unit->name()}});
  }
  return absl::OkStatus();
}

absl::Status TaskNotCancelled(const v1::Task& task) {
  if (task.state() != v1::TASK_STATE_CANCELLED) return absl::OkStatus();
  return Error(absl::StatusCode::kFailedPrecondition, "TASK_CANCELLED",
               absl::StrCat(task.name(), " is cancelled; it can no longer change"),
               {{"task", task.name()}});
}

// ---------------------------------------------------------------------------------------
// Validation of client-supplied resources

absl::Status ValidateDateRange(absl::string_view field, const v1::Date& from, const v1::Date& to) {
  if (!IsZeroDate(from) && !IsZeroDate(to) && ToCivilDay(to) < ToCivilDay(from)) {
    return InvalidField(field, absl::StrCat(field, " ", FormatDate(to), " is before valid_from ",
                                            FormatDate(from)));
  }
  return absl::OkStatus();
}

// Normalises and checks the client-settable fields of a unit.
absl::Status PrepareUnitFields(v1::Unit* unit) {
  RETURN_IF_ERROR(NormalizeText("unit.display_name", unit->mutable_display_name(),
                                kMaxUnitName, /*required=*/true));
  if (!unit->admin_code().empty()) {
    const std::string& code = unit->admin_code();
    bool digits = std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || (code.size() != 2 && code.size() != 3 && code.size() != 5)) {
      return InvalidField("unit.admin_code",
                          "unit.admin_code must be 2 (province), 3 (district) or 5 (commune) "
                          "digits, e.g. \"52\" or \"21550\"");
    }
  }
  RETURN_IF_ERROR(ValidateDate("unit.valid_from", unit->valid_from()));
  RETURN_IF_ERROR(ValidateDate("unit.valid_to", unit->valid_to()));
  return ValidateDateRange("unit.valid_to", unit->valid_from(), unit->valid_to());
}

// Normalises and checks the client-settable fields of a task.
absl::Status PrepareTaskFields(v1::Task* task) {
  RETURN_IF_ERROR(NormalizeText("task.title", task->mutable_title(), kMaxTitle, true));
  RETURN_IF_ERROR(NormalizeText("task.content", task->mutable_content(), kMaxContent, false));
  RETURN_IF_ERROR(NormalizeText("task.category", task->mutable_category(), kMaxCategory, false));
  if (task->has_directive()) {
    v1::Directive* d = task->mutable_directive();
    RETURN_IF_ERROR(NormalizeText("task.directive.number", d->mutable_number(),
                                  kMaxDirectiveNumber, false));
    RETURN_IF_ERROR(NormalizeText("task.directive.summary", d->mutable_summary(),
                                  kMaxDirectiveSummary, false));
    RETURN_IF_ERROR(NormalizeText("task.directive.issuer", d->mutable_issuer(), kMaxIssuer, false));
    RETURN_IF_ERROR(ValidateDate("task.directive.issue_date", d->issue_date()));
  }
  if (task->urgency() == v1::URGENCY_UNSPECIFIED) task->set_urgency(v1::URGENCY_ROUTINE);
  RETURN_IF_ERROR(CheckRequiredEnum("task.urgency", task->urgency(), v1::Urgency_IsValid));
  RETURN_IF_ERROR(CheckRequiredEnum("task.kind", task->kind(), v1::TaskKind_IsValid));
  RETURN_IF_ERROR(ValidateDate("task.deadline", task->deadline()));
  if (task->kind() == v1::TASK_KIND_RECURRING && !IsZeroDate(task->deadline())) {
    return InvalidField("task.deadline",
                        "task.deadline must be empty on a recurring task (thực hiện thường "
                        "xuyên tasks have no deadline)");
  }
  if (task->labels_size() > kMaxLabels) {
    return InvalidField("task.labels", absl::StrCat("task.labels has ", task->labels_size(),
                                                    " labels; at most 20 are allowed"));
  }
  std::vector<std::string> labels;
  for (int i = 0; i < task->labels_size(); ++i) {
    std::string label = task->labels(i);
    RETURN_IF_ERROR(NormalizeText(absl::StrCat("task.labels[", i, "]"), &label, kMaxLabel, true));
    if (std::find(labels.begin(), labels.end(), label) == labels.end()) {
      labels.push_back(std::move(label));
    }
  }
  task->clear_labels();
  for (std::string& label : labels) task->add_labels(std::move(label));
  if (task->has_kpi()) {
    v1::KpiTarget* kpi = task->mutable_kpi();
    RETURN_IF_ERROR(NormalizeText("task.kpi.description", kpi->mutable_description(),
                                  kMaxKpiDescription, true));
    RETURN_IF_ERROR(CheckRequiredEnum("task.kpi.type", kpi->type(), v1::KpiType_IsValid));
    const double v = kpi->target_value();
    if (!(v >= 0) || v > 1e15) {
      return InvalidField("task.kpi.target_value",
                          "task.kpi.target_value must be a finite number >= 0");
    }
    if (kpi->type() == v1::KPI_TYPE_PERCENT && v > 100) {
      return InvalidField("task.kpi.target_value", "a percent target must be within 0..100");
    }
    if (kpi->type() == v1::KPI_TYPE_YES_NO && v != 0 && v != 1) {
      return InvalidField("task.kpi.target_value", "a yes/no target must be 0 or 1");
    }
    if (kpi->type() == v1::KPI_TYPE_RATIO) {
      if (!(kpi->target_denominator() > 0) || kpi->target_denominator() > 1e15) {
        return InvalidField("task.kpi.target_denominator",
                            "a ratio target needs task.kpi.target_denominator > 0");
      }
      if (v > kpi->target_denominator()) {
        return InvalidField("task.kpi.target_value",
                            "task.kpi.target_value must not exceed target_denominator");
      }
    } else if (kpi->target_denominator() != 0) {
      return InvalidField("task.kpi.target_denominator",
                          "task.kpi.target_denominator is only for KPI_TYPE_RATIO");
    }
  }
  return absl::OkStatus();
}

// Checks an update mask against the settable paths; names what is wrong.
absl::Status CheckUpdateMask(absl::string_view resource,
                             const google::protobuf::FieldMask& mask,
                             const std::vector<std::string>& settable,
                             const google::protobuf::Descriptor* descriptor) {
  if (mask.paths_size() == 0) {
    return InvalidField("update_mask",
                        absl::StrCat("update_mask is required; settable paths: ",
                                     absl::StrJoin(settable, ", ")));
  }
  for (const std::string& path : mask.paths()) {
    if (std::find(settable.begin(), settable.end(), path) != settable.end()) continue;
    const std::string top = path.substr(0, path.find('.'));
    if (top != path && std::find(settable.begin(), settable.end(), top) != settable.end()) {
      return InvalidField("update_mask",
                          absl::StrCat("update_mask must name whole fields: send the whole "
                                       "field as \"", top, "\" instead of its part ",
                                       Quote(path)));
    }
    if (google::protobuf::util::FieldMaskUtil::GetFieldDescriptors(descriptor, path, nullptr)) {
      return InvalidField("update_mask",
                          absl::StrCat(resource, ".", path,
                                       " cannot be changed by an update (immutable, output "
                                       "only, or changed by its own method); settable: ",
                                       absl::StrJoin(settable, ", ")));
    }
    return InvalidField("update_mask",
                        absl::StrCat("update_mask paths must be fields of ", resource,
                                     " settable by an update (", absl::StrJoin(settable, ", "),
                                     "); got ", Quote(path)));
  }
  return absl::OkStatus();
}

// Replaces each masked top-level field of *to with its value in `from` (absent or empty
// in `from` clears it). Paths were checked by CheckUpdateMask.
void ApplyMask(const Message& from, const google::protobuf::FieldMask& mask, Message* to) {
  for (const std::string& path : mask.paths()) {
    to->GetReflection()->ClearField(to, to->GetDescriptor()->FindFieldByName(path));
  }
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(from, mask, {}, to);
}

absl::Status ValidateReason(std::string* reason, bool required) {
  return NormalizeText("reason", reason, kMaxReason, required);
}

// Parsing of list filters -------------------------------------------------------------

template <typename Enum>
absl::StatusOr<Enum> FilterEnum(const google::protobuf::EnumDescriptor* desc,
                                const FilterTerm& term) {
  ASSIGN_OR_RETURN(int value, ParseEnumValue(desc, term.key, term.value));
  return static_cast<Enum>(value);
}

absl::Status FilterError(absl::string_view message) {
  return Error(absl::StatusCode::kInvalidArgument, "INVALID_FILTER", message);
}

absl::StatusOr<std::string> FilterUnitCode(const FilterTerm& term, bool allow_empty) {
  if (allow_empty && term.value.empty()) return std::string();
  absl::StatusOr<std::string> code = ParseUnitName(term.key, term.value);
  if (!code.ok()) {
    return FilterError(absl::StrCat("filter: ", term.key, " must be a unit name like "
                                    "\"units/H29\"; got ", Quote(term.value)));
  }
  return code;
}

}  // namespace

// =======================================================================================

Core::Core(Store* store, CoreOptions options) : store_(store), options_(std::move(options)) {}

void Core::Decorate(v1::Assignment* a, absl::CivilDay today) const {
  a->set_timeliness(ComputeTimeliness({a->state(), a->deadline(), a->submit_date()}, today,
                                      options_.due_soon_days));
}

void Core::Mutate(const CallContext& ctx, const std::string& request_id, const Message& request, Message* response,
                  Body body, Done done) {
  if (absl::Status s = ValidateRequestId(request_id); !s.ok()) return done(s);
  std::string idempotency_key;
  // A request_id names one request whatever its method: the fingerprint covers the
  // request's type, so reusing an id for another method is REQUEST_ID_REUSED.
  if (!request_id.empty()) idempotency_key = request_id;
  const uint64_t fingerprint = request_id.empty() ? 0 : Fingerprint(request);
  store_->Submit(
      [idempotency_key, fingerprint, response, body = std::move(body)](Txn& txn) -> absl::Status {
        if (!idempotency_key.empty()) {
          ASSIGN_OR_RETURN(std::optional<std::string> stored,
                           txn.reader().Get(Cf::kIdempotency, idempotency_key));
          if (stored.has_value()) {
            absl::string_view in = *stored;
            uint64_t stored_fingerprint;
            if (!keys::GetU64(&in, &stored_fingerprint)) {
              return absl::DataLossError("idempotency record is malformed");
            }
            if (stored_fingerprint != fingerprint) {
              return Error(absl::StatusCode::kInvalidArgument, "REQUEST_ID_REUSED",
                           "request_id was already used for a different request; use a new "
                           "request_id for a new request",
                           {{"field", "request_id"}});
            }
            if (!response->ParseFromArray(in.data(), static_cast<int>(in.size()))) {
              return absl::DataLossError("idempotency record does not parse");
            }
            return absl::OkStatus();  // the first answer, nothing written
          }
        }
        RETURN_IF_ERROR(body(txn));
        if (!idempotency_key.empty()) {
          std::string record;
          keys::PutU64(&record, fingerprint);
          record += response->SerializeAsString();
          txn.Put(Cf::kIdempotency, idempotency_key, record);
        }
        return absl::OkStatus();
      },
      std::move(done));
}

namespace {

// Starts an event for a change in `txn`, filling who and when; records it in the task's
// history when `task_id` is non-zero.
v1::Event* AddEvent(Txn& txn, const CallContext& ctx, const std::string& request_id,
                    absl::Time now, v1::EventAction action, absl::string_view resource,
                    uint64_t task_id) {
  v1::Event event;
  *event.mutable_time() = ToProto(now);
  event.set_actor(ctx.actor);
  event.set_action(action);
  event.set_resource(std::string(resource));
  event.set_request_id(request_id);
  v1::Event* added = txn.AddEvent(std::move(event));
  if (task_id != 0) {
    std::string key = TaskHistoryPrefix(task_id);
    keys::PutU64(&key, static_cast<uint64_t>(added->revision()));
    keys::PutU32(&key, static_cast<uint32_t>(added->index()));
    txn.Put(Cf::kIndexes, key, "");
  }
  return added;
}

// Writes an assignment and moves its index keys from `old` (null: new assignment).
absl::Status PutAssignment(Txn& txn, uint64_t task_id, const v1::Assignment* old,
                           const v1::Assignment& updated) {
  const std::string code = CodeOf(updated.unit());
  ASSIGN_OR_RETURN(std::vector<std::string> ancestry, Ancestry(txn.reader(), code));
  UpdateIndexes(txn, old ? AssignmentIndexKeys(*old, task_id, ancestry) : std::vector<std::string>(),
                AssignmentIndexKeys(updated, task_id, ancestry));
  v1::Assignment stored = updated;
  stored.clear_timeliness();  // derived on every read
  txn.PutProto(Cf::kEntities, keys::AssignmentKey(task_id, code), stored);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::Event*> Core::WriteAssignment(Txn& txn, const CallContext& ctx,
                                                 const std::string& request_id, absl::Time now,
                                                 uint64_t task_id, const v1::Assignment* before,
                                                 v1::Assignment* after, v1::EventAction action,
                                                 const std::vector<std::string>& changed) const {
  *after->mutable_update_time() = ToProto(now);
  after->set_etag(Etag(txn.revision()));
  RETURN_IF_ERROR(PutAssignment(txn, task_id, before, *after));
  Decorate(after, DayInVietnam(now));
  v1::Event* event = AddEvent(txn, ctx, request_id, now, action, after->name(), task_id);
  if (before != nullptr) event->set_old_state(before->state());
  event->set_new_state(after->state());
  for (const std::string& field : changed) event->add_changed_fields(field);
  *event->mutable_assignment() = *after;
  return event;
}

// ---------------------------------------------------------------------------------------
// Units

void Core::CreateUnit(const CallContext& ctx, const v1::CreateUnitRequest& request,
                      v1::CreateUnitResponse* response, Done done) {
  v1::Unit unit = request.unit();
  absl::Status valid = [&]() -> absl::Status {
    RETURN_IF_ERROR(ValidateUnitCode("unit.code", unit.code()));
    RETURN_IF_ERROR(PrepareUnitFields(&unit));
    RETURN_IF_ERROR(CheckRequiredEnum("unit.kind", unit.kind(), v1::UnitKind_IsValid));
    if (!unit.parent().empty()) {
      ASSIGN_OR_RETURN(std::string parent, ParseUnitName("unit.parent", unit.parent()));
      if (parent == unit.code()) return InvalidField("unit.parent", "a unit cannot be its own parent");
    }
    return absl::OkStatus();
  }();
  if (!valid.ok()) return done(valid);
  Mutate(ctx, request.request_id(), request, response,
         [this, ctx, unit, request_id = request.request_id(), response](Txn& txn) mutable
         -> absl::Status {
           ASSIGN_OR_RETURN(std::optional<v1::Unit> existing, LoadUnit(txn.reader(), unit.code()));
           if (existing) {
             return Error(absl::StatusCode::kAlreadyExists, "ALREADY_EXISTS",
                          absl::StrCat("unit ", UnitName(unit.code()), " already exists"),
                          {{"resource", UnitName(unit.code())}});
           }
           if (!unit.parent().empty()) {
             RETURN_IF_ERROR(RequireActiveUnit(txn.reader(), "unit.parent", CodeOf(unit.parent())));
           }
           const absl::Time now = options_.clock->Now();
           unit.set_name(UnitName(unit.code()));
           unit.set_state(v1::UNIT_STATE_ACTIVE);
           unit.clear_successor();
           *unit.mutable_create_time() = ToProto(now);
           *unit.mutable_update_time() = ToProto(now);
           unit.set_etag(Etag(txn.revision()));
           txn.PutProto(Cf::kEntities, keys::UnitKey(unit.code()), unit);
           UpdateIndexes(txn, {}, UnitIndexKeys(unit));
           *AddEvent(txn, ctx, request_id, now, v1::EVENT_ACTION_CREATE_UNIT, unit.name(), 0)
                ->mutable_unit() = unit;
           *response->mutable_unit() = unit;
           return absl::OkStatus();
         },
         std::move(done));
}

void Core::UpdateUnit(const CallContext& ctx, const v1::UpdateUnitRequest& request,
                      v1::UpdateUnitResponse* response, Done done) {
  static const std::vector<std::string> kSettable = {"display_name", "admin_code", "valid_from",
                                                     "valid_to"};
  absl::StatusOr<std::string> code = ParseUnitName("unit.name", request.unit().name());
  if (!code.ok()) return done(code.status());
  if (absl::Status s = CheckUpdateMask("unit", request.update_mask(), kSettable,
                                       v1::Unit::descriptor());
      !s.ok()) {
    return done(s);
  }
  Mutate(ctx, request.request_id(), request, response,
         [this, ctx, &request, code = *code, response](Txn& txn) -> absl::Status {
           ASSIGN_OR_RETURN(std::optional<v1::Unit> stored, LoadUnit(txn.reader(), code));
           if (!stored) return NotFound(UnitName(code));
           RETURN_IF_ERROR(CheckEtag("unit.etag", request.unit().etag(), stored->etag(),
                                     stored->name()));
           v1::Unit unit = *stored;
           ApplyMask(request.unit(), request.update_mask(), &unit);
           RETURN_IF_ERROR(PrepareUnitFields(&unit));
           const absl::Time now = options_.clock->Now();
           *unit.mutable_update_time() = ToProto(now);
           unit.set_etag(Etag(txn.revision()));
           txn.PutProto(Cf::kEntities, keys::UnitKey(code), unit);
           UpdateIndexes(txn, UnitIndexKeys(*stored), UnitIndexKeys(unit));
           v1::Event* event = AddEvent(txn, ctx, request.request_id(), now,
                                       v1::EVENT_ACTION_UPDATE_UNIT, unit.name(), 0);
           for (const std::string& path : request.update_mask().paths()) {
             event->add_changed_fields(path);
           }
           *event->mutable_unit() = unit;
           *response->mutable_unit() = unit;
           return absl::OkStatus();
         },
         std::move(done));
}

absl::Status Core::GetUnit(const v1::GetUnitRequest& request, v1::GetUnitResponse* response) const {
  ASSIGN_OR_RETURN(std::string code, ParseUnitName("name", request.name()));
  auto view = store_->Snapshot();
  ASSIGN_OR_RETURN(std::optional<v1::Unit> unit, LoadUnit(*view, code));
  if (!unit) return NotFound(request.name());
  *response->mutable_unit() = *std::move(unit);
  return absl::OkStatus();
}

absl::Status Core::ListUnits(const v1::ListUnitsRequest& request,
                             v1::ListUnitsResponse* response) const {
  RETURN_IF_ERROR(CheckPageSize(request.page_size()));
  ASSIGN_OR_RETURN(std::vector<FilterTerm> terms, ParseFilter(request.filter()));
  RETURN_IF_ERROR(CheckFilterTerms(
      terms, {{"parent", {Op::kEq}}, {"kind", {Op::kEq}}, {"state", {Op::kEq}}}));
  std::optional<std::string> parent;
  std::vector<v1::UnitKind> kinds;
  std::vector<v1::UnitState> states;
  for (const FilterTerm& term : terms) {
    if (term.key == "parent") {
      ASSIGN_OR_RETURN(parent, FilterUnitCode(term, /*allow_empty=*/true));
    } else if (term.key == "kind") {
      ASSIGN_OR_RETURN(auto kind, FilterEnum<v1::UnitKind>(v1::UnitKind_descriptor(), term));
      kinds = {kind};
    } else {
      ASSIGN_OR_RETURN(auto state, FilterEnum<v1::UnitState>(v1::UnitState_descriptor(), term));
      states = {state};
    }
  }
  if (states.empty()) {
    for (int s = 1; v1::UnitState_IsValid(s); ++s) states.push_back(static_cast<v1::UnitState>(s));
  }
  if (kinds.empty()) {
    for (int k = 1; v1::UnitKind_IsValid(k); ++k) kinds.push_back(static_cast<v1::UnitKind>(k));
  }
  // Every (state, kind) pair is one range under the parent (or global) index; the merge
  // orders them by code.
  std::vector<IndexRange> ranges;
  for (v1::UnitState state : states) {
    for (v1::UnitKind kind : kinds) {
      std::string prefix = parent ? UnitParentPrefix(*parent) : std::string("us");
      keys::PutU8(&prefix, static_cast<uint8_t>(state));
      keys::PutU8(&prefix, static_cast<uint8_t>(kind));
      ranges.push_back({prefix, "", ""});
    }
  }
  const std::string scope = absl::StrCat("units\n", request.filter());
  ASSIGN_OR_RETURN(std::string after, DecodePageToken(request.page_token(), scope));
  auto view = store_->Snapshot();
  std::function<absl::StatusOr<bool>(absl::string_view, v1::Unit*)> match =
      [&](absl::string_view suffix, v1::Unit* unit) -> absl::StatusOr<bool> {
    std::string code;
    if (!keys::GetString(&suffix, &code)) return absl::DataLossError("bad unit index key");
    ASSIGN_OR_RETURN(bool found, view->GetProto(Cf::kEntities, keys::UnitKey(code), unit));
    return found;
  };
  ASSIGN_OR_RETURN(std::string next,
                   CollectPage(*view, Cf::kIndexes, ranges, after, PageSize(request.page_size()),
                               match, response->mutable_units()));
  if (!next.empty()) response->set_next_page_token(EncodePageToken(scope, next));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------
// Tasks

void Core::CreateTask(const CallContext& ctx, const v1::CreateTaskRequest& request,
                      v1::CreateTaskResponse* response, Done done) {
  v1::Task task = request.task();
  std::string assigning_code;
  uint64_t parent_id = 0;
  absl::Status valid = [&]() -> absl::Status {
    RETURN_IF_ERROR(PrepareTaskFields(&task));
    if (task.assigning_unit().empty()) return Required("task.assigning_unit");
    ASSIGN_OR_RETURN(assigning_code, ParseUnitName("task.assigning_unit", task.assigning_unit()));
    if (!task.parent_task().empty()) {
      ASSIGN_OR_RETURN(parent_id, ParseTaskName("task.parent_task", task.parent_task()));
    }
    return absl::OkStatus();
  }();
  if (!valid.ok()) return done(valid);
  Mutate(ctx, request.request_id(), request, response,
         [this, ctx, task, assigning_code, parent_id, request_id = request.request_id(),
          response](Txn& txn) mutable -> absl::Status {
           RETURN_IF_ERROR(RequireActiveUnit(txn.reader(), "task.assigning_unit", assigning_code));
           if (parent_id != 0) RETURN_IF_ERROR(RequireTask(txn.reader(), parent_id).status());
           ASSIGN_OR_RETURN(uint64_t id, txn.NextCounter(keys::kMetaNextTaskId));
           const absl::Time now = options_.clock->Now();
           task.set_name(TaskName(id));
           task.set_state(v1::TASK_STATE_ACTIVE);
           task.clear_cancel_reason();
           *task.mutable_create_time() = ToProto(now);
           *task.mutable_update_time() = ToProto(now);
           task.set_etag(Etag(txn.revision()));
           txn.PutProto(Cf::kEntities, keys::TaskKey(id), task);
           UpdateIndexes(txn, {}, TaskIndexKeys(task));
           *AddEvent(txn, ctx, request_id, now, v1::EVENT_ACTION_CREATE_TASK, task.name(), id)
                ->mutable_task() = task;
           *response->mutable_task() = task;
           return absl::OkStatus();
         },
         std::move(done));
}

void Core::UpdateTask(const CallContext& ctx, const v1::UpdateTaskRequest& request,
                      v1::UpdateTaskResponse* response, Done done) {
  static const std::vector<std::string> kSettable = {
      "directive", "title", "content", "category", "urgency", "deadline", "labels", "kpi"};
  absl::StatusOr<uint64_t> id = ParseTaskName("task.name", request.task().name());
  if (!id.ok()) return done(id.status());
  if (absl::Status s = CheckUpdateMask("task", request.update_mask(), kSettable,
                                       v1::Task::descriptor());
      !s.ok()) {
    return done(s);
  }
  Mutate(ctx, request.request_id(), request, response,
         [this, ctx, &request, id = *id, response](Txn& txn) -> absl::Status {
           ASSIGN_OR_RETURN(v1::Task stored, RequireTask(txn.reader(), id));
           RETURN_IF_ERROR(CheckEtag("task.etag", request.task().etag(), stored.etag(),
                                     stored.name()));
           RETURN_IF_ERROR(TaskNotCancelled(stored));
           v1::Task task = stored;
           ApplyMask(request.task(), request.update_mask(), &task);
           RETURN_IF_ERROR(PrepareTaskFields(&task));
           const absl::Time now = options_.clock->Now();
           *task.mutable_update_time() = ToProto(now);
           task.set_etag(Etag(txn.revision()));
           txn.PutProto(Cf::kEntities, keys::TaskKey(id), task);
           UpdateIndexes(txn, TaskIndexKeys(stored), TaskIndexKeys(task));
           v1::Event* event = AddEvent(txn, ctx, request.request_id(), now,
                                       v1::EVENT_ACTION_UPDATE_TASK, task.name(), id);
           for (const std::string& path : request.update_mask().paths()) event->add_changed_fields(path);
           *event->mutable_task() = task;
           // Open assignments that had the task's deadline follow it.
           if (!google::protobuf::util::MessageDifferencer::Equals(stored.deadline(),
                                                                    task.deadline())) {
             ASSIGN_OR_RETURN(std::vector<v1::Assignment> assignments,
                              LoadAssignments(txn.reader(), id));
             for (const v1::Assignment& old : assignments) {
               if (!IsOpen(old.state()) ||
                   !google::protobuf::util::MessageDifferencer::Equals(old.deadline(),
                                                                       stored.deadline())) {
                 continue;
               }
               v1::Assignment a = old;
               *a.mutable_deadline() = task.deadline();
               RETURN_IF_ERROR(WriteAssignment(txn, ctx, request.request_id(), now, id, &old, &a,
                                               v1::EVENT_ACTION_UPDATE_ASSIGNMENT, {"deadline"})
                                   .status());
             }
           }
           *response->mutable_task() = task;
           return absl::OkStatus();
         },
         std::move(done));
}

void Core::CancelTask(const CallContext& ctx, const v1::CancelTaskRequest& request,
                      v1::CancelTaskResponse* response, Done done) {
  absl::StatusOr<uint64_t> id = ParseTaskName("name", request.name());
  if (!id.ok()) return done(id.status());
  std::string reason = request.reason();
  if (absl::Status s = ValidateReason(&reason, true); !s.ok()) return done(s);
  Mutate(ctx, request.request_id(), request, response,
         [this, ctx, &request, reason, id = *id, response](Txn& txn) -> absl::Status {
           ASSIGN_OR_RETURN(v1::Task task, RequireTask(txn.reader(), id));
           RETURN_IF_ERROR(CheckEtag("etag", request.etag(), task.etag(), task.name()));
           RETURN_IF_ERROR(TaskNotCancelled(task));
           const absl::Time now = options_.clock->Now();
           v1::Task old = task;
           task.set_state(v1::TASK_STATE_CANCELLED);
           task.set_cancel_reason(reason);
           *task.mutable_update_time() = ToProto(now);
           task.set_etag(Etag(txn.revision()));
           txn.PutProto(Cf::kEntities, keys::TaskKey(id), task);
           UpdateIndexes(txn, TaskIndexKeys(old), TaskIndexKeys(task));
           v1::Event* event = AddEvent(txn, ctx, request.request_id(), now,
                                       v1::EVENT_ACTION_CANCEL_TASK, task.name(), id);
           event->set_reason(reason);
           *event->mutable_task() = task;
           ASSIGN_OR_RETURN(std::vector<v1::Assignment> assignments,
                            LoadAssignments(txn.reader(), id));
           for (const v1::Assignment& before : assignments) {
             absl::StatusOr<v1::AssignmentState> revoked = NextState(before.state(), Action::kRevoke);
             if (!revoked.ok()) continue;  // completed or already revoked: left as they are
             v1::Assignment a = before;
             a.set_state(*revoked);
             a.set_last_reason(reason);
             ASSIGN_OR_RETURN(v1::Event * e,
                              WriteAssignment(txn, ctx, request.request_id(), now, id, &before, &a,
                                              v1::EVENT_ACTION_REVOKE, {"state", "last_reason"}));
             e->set_reason(reason);
           }
           *response->mutable_task() = task;
           return absl::OkStatus();
         },
         std::move(done));
}

absl::Status Core::GetTask(const v1::GetTaskRequest& request, v1::GetTaskResponse* response) const {
  ASSIGN_OR_RETURN(uint64_t id, ParseTaskName("name", request.name()));
  auto view = store_->Snapshot();
  ASSIGN_OR_RETURN(*response->mutable_task(), RequireTask(*view, id));
  return absl::OkStatus();
}

absl::Status Core::ListTasks(const v1::ListTasksRequest& request,
                             v1::ListTasksResponse* response) const {
  RETURN_IF_ERROR(CheckPageSize(request.page_size()));
  ASSIGN_OR_RETURN(std::vector<FilterTerm> terms, ParseFilter(request.filter()));
  RETURN_IF_ERROR(CheckFilterTerms(terms, {{"state", {Op::kEq}},
                                           {"assigning_unit", {Op::kEq}},
                                           {"kind", {Op::kEq}},
                                           {"urgency", {Op::kEq}},
                                           {"label", {Op::kEq}},
                                           {"parent_task", {Op::kEq}}}));
  // The predicate every listed task satisfies; the index below only narrows the scan.
  std::optional<v1::TaskState> state;
  std::optional<v1::TaskKind> kind;
  std::optional<v1::Urgency> urgency;
  std::optional<std::string> assigning_unit, label;
  std::optional<uint64_t> parent_task;
  for (const FilterTerm& term : terms) {
    if (term.key == "state") {
      ASSIGN_OR_RETURN(state, FilterEnum<v1::TaskState>(v1::TaskState_descriptor(), term));
    } else if (term.key == "kind") {
      ASSIGN_OR_RETURN(kind, FilterEnum<v1::TaskKind>(v1::TaskKind_descriptor(), term));
    } else if (term.key == "urgency") {
      ASSIGN_OR_RETURN(urgency, FilterEnum<v1::Urgency>(v1::Urgency_descriptor(), term));
    } else if (term.key == "assigning_unit") {
      ASSIGN_OR_RETURN(assigning_unit, FilterUnitCode(term, false));
    } else if (term.key == "label") {
      absl::StatusOr<std::string> normalized = NormalizeField("label", term.value, kMaxLabel);
      if (!normalized.ok()) return FilterError(absl::StrCat("filter: ", normalized.status().message()));
      label = *std::move(normalized);
    } else {
      absl::StatusOr<uint64_t> id = ParseTaskName("parent_task", term.value);
      if (!id.ok()) return FilterError("filter: parent_task must be a task name like \"tasks/7\"");
      parent_task = *id;
    }
  }
  ASSIGN_OR_RETURN(std::string query, NormalizeField("query", request.query(), kMaxQuery));
  // Each distinct word once, as typed and folded.
  std::vector<std::string> query_tokens, query_folded;
  for (std::string& token : Tokenize(query)) {
    if (std::find(query_tokens.begin(), query_tokens.end(), token) != query_tokens.end()) continue;
    std::string folded = Fold(token);
    if (std::find(query_folded.begin(), query_folded.end(), folded) == query_folded.end()) {
      query_folded.push_back(std::move(folded));
    }
    query_tokens.push_back(std::move(token));
  }
  // A query of only spaces or punctuation searches for nothing: refused like any other
  // query without words, rather than read as "no query" and listing every task.
  if (!request.query().empty() && query_tokens.empty()) {
    return InvalidField("query", "query has no words to search for (letters or digits); "
                                 "send an empty query to list without searching");
  }

  std::vector<v1::TaskState> states;
  if (state) {
    states = {*state};
  } else {
    states = {v1::TASK_STATE_ACTIVE, v1::TASK_STATE_CANCELLED};
  }
  auto with_states = [&](const std::string& prefix) {
    std::vector<IndexRange> ranges;
    for (v1::TaskState s : states) {
      std::string p = prefix;
      keys::PutU8(&p, static_cast<uint8_t>(s));
      ranges.push_back({p, "", ""});
    }
    return ranges;
  };
  // Without a query: the most selective index that serves a filter, ordered by id.
  std::vector<IndexRange> ranges;
  if (assigning_unit) {
    std::string p = "tu";
    keys::PutString(&p, *assigning_unit);
    ranges = with_states(p);
  } else if (label) {
    std::string p = "tl";
    keys::PutString(&p, *label);
    ranges = with_states(p);
  } else if (parent_task) {
    std::string p = "tp";
    keys::PutU64(&p, *parent_task);
    ranges = {{p, "", ""}};
  } else if (kind) {
    std::string p = "tk";
    keys::PutU8(&p, static_cast<uint8_t>(*kind));
    ranges = with_states(p);
  } else if (urgency) {
    std::string p = "tg";
    keys::PutU8(&p, static_cast<uint8_t>(*urgency));
    ranges = with_states(p);
  } else {
    ranges = with_states("ts");
  }

  auto view = store_->Snapshot();
  // Loads task `id` into *task; false if it is gone or fails the filter.
  auto load = [&](uint64_t id, v1::Task* task) -> absl::StatusOr<bool> {
    ASSIGN_OR_RETURN(bool found, view->GetProto(Cf::kEntities, keys::TaskKey(id), task));
    if (!found) return false;
    return !((state && task->state() != *state) || (kind && task->kind() != *kind) ||
             (urgency && task->urgency() != *urgency) ||
             (assigning_unit && CodeOf(task->assigning_unit()) != *assigning_unit) ||
             (label && std::find(task->labels().begin(), task->labels().end(), *label) ==
                           task->labels().end()) ||
             (parent_task && IdOf(task->parent_task()) != *parent_task));
  };

  const std::string scope = absl::StrCat("tasks\n", request.filter(), "\n", query);
  ASSIGN_OR_RETURN(std::string cursor, DecodePageToken(request.page_token(), scope));
  const int page_size = PageSize(request.page_size());
  if (query_tokens.empty()) {
    std::function<absl::StatusOr<bool>(absl::string_view, v1::Task*)> match =
        [&](absl::string_view suffix, v1::Task* task) -> absl::StatusOr<bool> {
      uint64_t id;
      if (!keys::GetU64(&suffix, &id)) return absl::DataLossError("bad task index key");
      return load(id, task);
    };
    ASSIGN_OR_RETURN(std::string next, CollectPage(*view, Cf::kIndexes, ranges, cursor, page_size,
                                                   match, response->mutable_tasks()));
    if (!next.empty()) response->set_next_page_token(EncodePageToken(scope, next));
    return absl::OkStatus();
  }
  return SearchTasks(*view, query_tokens, query_folded, cursor, page_size, load, scope,
                     response);
}

// ---------------------------------------------------------------------------------------
// Assignments

void Core::CreateAssignment(const CallContext& ctx, const v1::CreateAssignmentRequest& request,
                            v1::CreateAssignmentResponse* response, Done done) {
  uint64_t task_id = 0;
  std::string code;
  v1::Assignment assignment = request.assignment();
  absl::Status valid = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(task_id, ParseTaskName("parent", request.parent()));
    if (assignment.unit().empty()) return Required("assignment.unit");
    ASSIGN_OR_RETURN(code, ParseUnitName("assignment.unit", assignment.unit()));
    RETURN_IF_ERROR(CheckRequiredEnum("assignment.role", assignment.role(),
                                                  v1::AssignmentRole_IsValid));
    return ValidateDate("assignment.deadline", assignment.deadline());
  }();
  if (!valid.ok()) return done(valid);
  Mutate(ctx, request.request_id(), request, response,
         [this, ctx, task_id, code, assignment, request_id = request.request_id(),
          response](Txn& txn) mutable -> absl::Status {
           const ReadView& reader = txn.reader();
           ASSIGN_OR_RETURN(v1::Task task, RequireTask(reader, task_id));
           RETURN_IF_ERROR(TaskNotCancelled(task));
           if (task.kind() == v1::TASK_KIND_RECURRING && !IsZeroDate(assignment.deadline())) {
             return InvalidField("assignment.deadline",
                                 "assignment.deadline must be empty on a recurring task");
           }
           RETURN_IF_ERROR(RequireActiveUnit(reader, "assignment.unit", code));
           const std::string name = AssignmentName(task_id, code);
           ASSIGN_OR_RETURN(std::vector<v1::Assignment> others, LoadAssignments(reader, task_id));
           if (std::any_of(others.begin(), others.end(),
                           [&](const v1::Assignment& other) { return other.name() == name; })) {
             return Error(absl::StatusCode::kAlreadyExists, "ALREADY_EXISTS",
                          absl::StrCat("unit ", UnitName(code), " already has a role on ",
                                       task.name(), " (", name, ")"),
                          {{"resource", name}});
           }
           const v1::Assignment* lead = LiveLead(others, name);
           if (assignment.role() == v1::ASSIGNMENT_ROLE_LEAD && lead != nullptr) {
             return Error(absl::StatusCode::kFailedPrecondition, "LEAD_EXISTS",
                          absl::StrCat(task.name(), " already has lead unit ", lead->unit(),
                                       "; revoke it first or assign this unit as SUPPORT"),
                          {{"lead", lead->unit()}});
           }
           const absl::Time now = options_.clock->Now();
           assignment.set_name(name);
           assignment.set_unit(UnitName(code));
           if (IsZeroDate(assignment.deadline())) *assignment.mutable_deadline() = task.deadline();
           assignment.set_state(v1::ASSIGNMENT_STATE_NOT_STARTED);
           assignment.set_progress_percent(0);
           assignment.clear_progress_note();
           assignment.clear_submit_date();
           assignment.clear_last_reason();
           *assignment.mutable_create_time() = ToProto(now);
           RETURN_IF_ERROR(WriteAssignment(txn, ctx, request_id, now, task_id, nullptr, &assignment,
                                           v1::EVENT_ACTION_CREATE_ASSIGNMENT, {})
                               .status());
           *response->mutable_assignment() = assignment;
           return absl::OkStatus();
         },
         std::move(done));
}

void Core::Transition(const CallContext& ctx, const Message& request, const TransitionArgs& args,
                      v1::Assignment* out, Done done) {
  absl::StatusOr<AssignmentId> id = ParseAssignmentName("name", args.name);
  if (!id.ok()) return done(id.status());
  std::string reason = args.reason;
  std::string note = args.note;
  absl::Status valid = [&]() -> absl::Status {
    RETURN_IF_ERROR(ValidateReason(&reason, ActionNeedsReason(args.action)));
    RETURN_IF_ERROR(NormalizeText("note", &note, kMaxReason, false));
    if (args.action == Action::kReportProgress && (args.percent < 0 || args.percent > 100)) {
      return InvalidField("percent", absl::StrCat("percent must be within 0..100, not ",
                                                  args.percent));
    }
    return absl::OkStatus();
  }();
  if (!valid.ok()) return done(valid);
  Mutate(ctx, args.request_id, request, out,
         [this, ctx, args, reason, note, id = *id, out](Txn& txn) -> absl::Status {
           const ReadView& reader = txn.reader();
           const std::string name = AssignmentName(id.task_id, id.unit_code);
           v1::Assignment before;
           ASSIGN_OR_RETURN(bool found,
                            reader.GetProto(Cf::kEntities,
                                            keys::AssignmentKey(id.task_id, id.unit_code), &before));
           if (!found) return NotFound(name);
           RETURN_IF_ERROR(CheckEtag("etag", args.etag, before.etag(), name));
           ASSIGN_OR_RETURN(v1::Task task, RequireTask(reader, id.task_id));
           RETURN_IF_ERROR(TaskNotCancelled(task));
           ASSIGN_OR_RETURN(v1::AssignmentState next, NextState(before.state(), args.action));
           if (args.action == Action::kReopen && before.role() == v1::ASSIGNMENT_ROLE_LEAD &&
               !IsLive(before.state())) {
             // A declined lead coming back must not make a second live lead.
             ASSIGN_OR_RETURN(std::vector<v1::Assignment> others,
                              LoadAssignments(reader, id.task_id));
             if (const v1::Assignment* lead = LiveLead(others, name)) {
               return Error(absl::StatusCode::kFailedPrecondition, "LEAD_EXISTS",
                            absl::StrCat(task.name(), " has another lead unit ", lead->unit(),
                                         "; revoke it first"),
                            {{"lead", lead->unit()}});
             }
           }
           const absl::Time now = options_.clock->Now();
           v1::Assignment a = before;
           a.set_state(next);
           std::vector<std::string> changed = {"state"};
           switch (args.action) {
             case Action::kReportProgress:
               a.set_progress_percent(args.percent);
               a.set_progress_note(note);
               changed = {"state", "progress_percent", "progress_note"};
               break;
             case Action::kSubmit:
               *a.mutable_submit_date() = ToDate(DayInVietnam(now));
               if (!note.empty()) a.set_progress_note(note);
               changed = {"state", "submit_date", "progress_note"};
               break;
             case Action::kApprove:
               a.set_progress_percent(100);
               changed = {"state", "progress_percent"};
               break;
             case Action::kReturn:
             case Action::kDecline:
             case Action::kRevoke:
             case Action::kReopen:
               a.set_last_reason(reason);
               changed = {"state", "last_reason"};
               break;
             case Action::kStart:
               break;
           }
           ASSIGN_OR_RETURN(v1::Event * event,
                            WriteAssignment(txn, ctx, args.request_id, now, id.task_id, &before,
                                            &a, EventActionFor(args.action), changed));
           event->set_reason(ActionNeedsReason(args.action) ? reason : note);
           *out = a;
           return absl::OkStatus();
         },
         std::move(done));
}

absl::Status Core::GetAssignment(const v1::GetAssignmentRequest& request,
                                 v1::GetAssignmentResponse* response) const {
  ASSIGN_OR_RETURN(AssignmentId id, ParseAssignmentName("name", request.name()));
  auto view = store_->Snapshot();
  ASSIGN_OR_RETURN(bool found, view->GetProto(Cf::kEntities,
                                              keys::AssignmentKey(id.task_id, id.unit_code),
                                              response->mutable_assignment()));
  if (!found) return NotFound(request.name());
  Decorate(response->mutable_assignment(), TodayInVietnam(*options_.clock));
  return absl::OkStatus();
}

absl::Status Core::ListAssignments(const v1::ListAssignmentsRequest& request,
                                   v1::ListAssignmentsResponse* response) const {
  RETURN_IF_ERROR(CheckPageSize(request.page_size()));
  uint64_t task_id = 0;  // 0: every task ("tasks/-")
  if (request.parent() != "tasks/-") {
    absl::StatusOr<uint64_t> id = ParseTaskName("parent", request.parent());
    if (!id.ok()) {
      return Error(absl::StatusCode::kInvalidArgument, "INVALID_NAME",
                   absl::StrCat("parent must be \"tasks/{id}\" or \"tasks/-\" for every task; "
                                "got ", Quote(request.parent())),
                   {{"field", "parent"}});
    }
    task_id = *id;
  }
  ASSIGN_OR_RETURN(std::vector<FilterTerm> terms, ParseFilter(request.filter()));
  const std::vector<Op> kCompare = {Op::kEq, Op::kLt, Op::kLe, Op::kGt, Op::kGe};
  RETURN_IF_ERROR(CheckFilterTerms(terms, {{"unit", {Op::kEq}},
                                           {"unit_tree", {Op::kEq}},
                                           {"state", {Op::kEq}},
                                           {"timeliness", {Op::kEq}},
                                           {"role", {Op::kEq}},
                                           {"deadline", kCompare}}));
  const absl::CivilDay today = TodayInVietnam(*options_.clock);
  // Buckets (state, with COMPLETED split by lateness) and an inclusive deadline-key range.
  std::set<uint8_t> buckets = {1, 2, 3, 4, 5, 6, keys::kBucketCompletedLate};
  auto keep_buckets = [&](std::set<uint8_t> allowed) {
    std::set<uint8_t> both;
    for (uint8_t b : buckets) {
      if (allowed.count(b)) both.insert(b);
    }
    buckets = std::move(both);
  };
  uint64_t lo = 0, hi = keys::kNoDeadline;
  auto limit = [&](uint64_t first, uint64_t last) {
    lo = std::max(lo, first);
    hi = std::min(hi, last);
  };
  std::optional<std::string> unit, unit_tree;
  std::optional<v1::AssignmentRole> role;
  for (const FilterTerm& term : terms) {
    if (term.key == "unit") {
      ASSIGN_OR_RETURN(unit, FilterUnitCode(term, false));
    } else if (term.key == "unit_tree") {
      ASSIGN_OR_RETURN(unit_tree, FilterUnitCode(term, false));
    } else if (term.key == "role") {
      ASSIGN_OR_RETURN(role, FilterEnum<v1::AssignmentRole>(v1::AssignmentRole_descriptor(), term));
    } else if (term.key == "state") {
      ASSIGN_OR_RETURN(auto state,
                       FilterEnum<v1::AssignmentState>(v1::AssignmentState_descriptor(), term));
      if (state == v1::ASSIGNMENT_STATE_COMPLETED) {
        keep_buckets({static_cast<uint8_t>(state), keys::kBucketCompletedLate});
      } else {
        keep_buckets({static_cast<uint8_t>(state)});
      }
    } else if (term.key == "timeliness") {
      ASSIGN_OR_RETURN(auto t, FilterEnum<v1::Timeliness>(v1::Timeliness_descriptor(), term));
      const std::set<uint8_t> open = {1, 2, 3};
      switch (t) {
        case v1::TIMELINESS_NO_DEADLINE:
          keep_buckets(open);
          limit(keys::kNoDeadline, keys::kNoDeadline);
          break;
        case v1::TIMELINESS_ON_TIME:
        case v1::TIMELINESS_DUE_SOON:
        case v1::TIMELINESS_OVERDUE: {
          keep_buckets(open);
          DayRange range = DeadlineRangeFor(t, today, options_.due_soon_days);
          limit(range.first == std::numeric_limits<int64_t>::min() ? 0
                                                                  : keys::DeadlineKey(range.first),
                range.last == std::numeric_limits<int64_t>::max() ? keys::kNoDeadline - 1
                                                                 : keys::DeadlineKey(range.last));
          break;
        }
        case v1::TIMELINESS_COMPLETED_ON_TIME:
          keep_buckets({static_cast<uint8_t>(v1::ASSIGNMENT_STATE_COMPLETED)});
          break;
        case v1::TIMELINESS_COMPLETED_LATE:
          keep_buckets({keys::kBucketCompletedLate});
          break;
        default:
          keep_buckets({static_cast<uint8_t>(v1::ASSIGNMENT_STATE_DECLINED),
                        static_cast<uint8_t>(v1::ASSIGNMENT_STATE_REVOKED)});
          break;
      }
    } else {  // deadline
      absl::StatusOr<v1::Date> date = ParseIsoDate(term.value);
      if (!date.ok()) return FilterError(absl::StrCat("filter: deadline: ", date.status().message()));
      const uint64_t k = keys::DeadlineKey(DayNumber(ToCivilDay(*date)));
      switch (term.op) {
        case Op::kEq: limit(k, k); break;
        case Op::kLt: limit(0, k - 1); break;
        case Op::kLe: limit(0, k); break;
        case Op::kGt: limit(k + 1, keys::kNoDeadline - 1); break;
        default: limit(k, keys::kNoDeadline - 1); break;
      }
    }
  }
  if (unit && unit_tree) {
    return FilterError("filter: use either unit or unit_tree, not both");
  }
  auto view = store_->Snapshot();
  // The residual predicate: what the index range does not already guarantee.
  auto matches = [&](const v1::Assignment& a) -> absl::StatusOr<bool> {
    if (!buckets.count(Bucket(a))) return false;
    uint64_t k = DeadlineKeyOf(a.deadline());
    if (k < lo || k > hi) return false;
    if (role && a.role() != *role) return false;
    if (unit && CodeOf(a.unit()) != *unit) return false;
    if (unit_tree) {
      ASSIGN_OR_RETURN(std::vector<std::string> chain, Ancestry(*view, CodeOf(a.unit())));
      if (std::find(chain.begin(), chain.end(), *unit_tree) == chain.end()) return false;
    }
    return true;
  };
  // Not the day: a token taken before midnight resumes after it, under the new day's
  // timeliness (like any change made between two pages).
  const std::string scope =
      absl::StrCat("assignments\n", request.parent(), "\n", request.filter());
  ASSIGN_OR_RETURN(std::string after, DecodePageToken(request.page_token(), scope));
  const int page_size = PageSize(request.page_size());
  if (task_id != 0) {
    RETURN_IF_ERROR(RequireTask(*view, task_id).status());
    // One task has few assignments: read them all, order by the same sort key as the
    // cross-task index (deadline, task, unit) and resume after the cursor.
    ASSIGN_OR_RETURN(std::vector<v1::Assignment> assignments, LoadAssignments(*view, task_id));
    std::vector<std::pair<std::string, v1::Assignment>> sorted;
    for (v1::Assignment& a : assignments) {
      ASSIGN_OR_RETURN(bool keep, matches(a));
      std::string key = SortKey(a, task_id, CodeOf(a.unit()));
      if (keep && key > after) sorted.emplace_back(std::move(key), std::move(a));
    }
    std::sort(sorted.begin(), sorted.end(),
              [](const auto& x, const auto& y) { return x.first < y.first; });
    for (size_t i = 0; i < sorted.size() && i < static_cast<size_t>(page_size); ++i) {
      Decorate(&sorted[i].second, today);
      *response->add_assignments() = std::move(sorted[i].second);
    }
    if (sorted.size() > static_cast<size_t>(page_size)) {
      response->set_next_page_token(EncodePageToken(scope, sorted[page_size - 1].first));
    }
    return absl::OkStatus();
  }
  std::vector<IndexRange> ranges;
  std::function<absl::StatusOr<bool>(absl::string_view, v1::Assignment*)> match;
  {
    if (lo > hi) buckets.clear();
    std::string lo_key, hi_key;
    keys::PutU64(&lo_key, lo);
    if (hi != keys::kNoDeadline) keys::PutU64(&hi_key, hi + 1);
    std::vector<v1::AssignmentRole> roles = {v1::ASSIGNMENT_ROLE_LEAD,
                                             v1::ASSIGNMENT_ROLE_SUPPORT};
    if (role) roles = {*role};
    for (v1::AssignmentRole r : roles) {
      for (uint8_t state_bucket : buckets) {
        const uint8_t bucket = IndexBucket(r, state_bucket);
        if (unit || unit_tree) {
          const std::string& code = unit ? *unit : *unit_tree;
          ranges.push_back({AssignmentsByUnitPrefix(code, 0, bucket), lo_key, hi_key});
          if (unit_tree) {
            ranges.push_back({AssignmentsByUnitPrefix(code, 1, bucket), lo_key, hi_key});
          }
        } else {
          ranges.push_back({AllAssignmentsPrefix(bucket), lo_key, hi_key});
        }
      }
    }
    match = [&](absl::string_view suffix, v1::Assignment* a) -> absl::StatusOr<bool> {
      uint64_t deadline, id;
      std::string code;
      if (!keys::GetU64(&suffix, &deadline) || !keys::GetU64(&suffix, &id) ||
          !keys::GetString(&suffix, &code)) {
        return absl::DataLossError("bad assignment index key");
      }
      return view->GetProto(Cf::kEntities, keys::AssignmentKey(id, code), a);
    };
  }
  ASSIGN_OR_RETURN(std::string next,
                   CollectPage(*view, Cf::kIndexes, ranges, after, page_size, match,
                               response->mutable_assignments()));
  for (v1::Assignment& a : *response->mutable_assignments()) Decorate(&a, today);
  if (!next.empty()) response->set_next_page_token(EncodePageToken(scope, next));
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------
// History

absl::Status Core::ListTaskEvents(const v1::ListTaskEventsRequest& request,
                                  v1::ListTaskEventsResponse* response) const {
  RETURN_IF_ERROR(CheckPageSize(request.page_size()));
  ASSIGN_OR_RETURN(uint64_t id, ParseTaskName("parent", request.parent()));
  const std::string scope = absl::StrCat("events\n", request.parent());
  ASSIGN_OR_RETURN(std::string after, DecodePageToken(request.page_token(), scope));
  auto view = store_->Snapshot();
  RETURN_IF_ERROR(RequireTask(*view, id).status());
  std::function<absl::StatusOr<bool>(absl::string_view, v1::Event*)> match =
      [&](absl::string_view suffix, v1::Event* event) -> absl::StatusOr<bool> {
    // The suffix (revision, index) is the event's key.
    return view->GetProto(Cf::kEvents, suffix, event);
  };
  ASSIGN_OR_RETURN(std::string next,
                   CollectPage(*view, Cf::kIndexes, {{TaskHistoryPrefix(id), "", ""}}, after,
                               PageSize(request.page_size()), match, response->mutable_events()));
  if (!next.empty()) response->set_next_page_token(EncodePageToken(scope, next));
  return absl::OkStatus();
}

}  // namespace d06
