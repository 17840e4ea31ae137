#include "server/model/schema.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "server/domain/dates.h"
#include "server/domain/fingerprint.h"
#include "server/domain/text.h"
#include "server/domain/timeliness.h"
#include "storage/keys.h"

namespace d06 {

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

std::string WithState(std::string prefix, v1::TaskState state) {
  keys::PutU8(&prefix, static_cast<uint8_t>(state));
  return prefix;
}

std::string TasksPrefix() { return "ts"; }

std::string TasksByAssigningUnitPrefix(absl::string_view unit_code) {
  std::string key = "tu";
  keys::PutString(&key, unit_code);
  return key;
}

std::string TasksByLabelPrefix(absl::string_view label) {
  std::string key = "tl";
  keys::PutString(&key, label);
  return key;
}

std::string TasksByKindPrefix(v1::TaskKind kind) {
  std::string key = "tk";
  keys::PutU8(&key, static_cast<uint8_t>(kind));
  return key;
}

std::string TasksByUrgencyPrefix(v1::Urgency urgency) {
  std::string key = "tg";
  keys::PutU8(&key, static_cast<uint8_t>(urgency));
  return key;
}

std::string TasksByParentPrefix(uint64_t parent_id) {
  std::string key = "tp";
  keys::PutU64(&key, parent_id);
  return key;
}

std::string PostingPrefix(absl::string_view folded_word) {
  std::string prefix = "tf";
  keys::PutString(&prefix, folded_word);
  return prefix;
}

// 32 bits of a 64-bit hash: a collision only ranks a task among those with the words as
// typed when it has them only folded; what a search finds does not depend on it.
uint32_t ExactFormHash(absl::string_view word) { return static_cast<uint32_t>(Fnv1a(word)); }

bool PostingHasForm(absl::string_view value, uint32_t hash) {
  uint32_t form;
  while (keys::GetU32(&value, &form)) {
    if (form == hash) return true;
  }
  return false;
}

std::string TaskIndexSuffix(uint64_t id) {
  std::string suffix;
  keys::PutU64(&suffix, id);
  return suffix;
}

bool ParseTaskIndexSuffix(absl::string_view suffix, uint64_t* id) {
  return keys::GetU64(&suffix, id) && suffix.empty();
}

bool ParseAssignmentSortKey(absl::string_view suffix, uint64_t* task_id, std::string* code) {
  uint64_t deadline;
  return keys::GetU64(&suffix, &deadline) && keys::GetU64(&suffix, task_id) &&
         keys::GetString(&suffix, code) && suffix.empty();
}

std::string UnitsPrefix(const std::optional<std::string>& parent_code, v1::UnitState state,
                        v1::UnitKind kind) {
  std::string key = "us";
  if (parent_code) {
    key = "up";
    keys::PutString(&key, *parent_code);
  }
  keys::PutU8(&key, static_cast<uint8_t>(state));
  keys::PutU8(&key, static_cast<uint8_t>(kind));
  return key;
}

bool ParseUnitIndexSuffix(absl::string_view suffix, std::string* code) {
  return keys::GetString(&suffix, code) && suffix.empty();
}

std::string UnitSubtreePrefix(absl::string_view ancestor_code) {
  std::string key = "ua";
  keys::PutString(&key, ancestor_code);
  return key;
}

IndexEntries UnitSubtreeEntries(const std::vector<std::string>& ancestry) {
  IndexEntries out;
  for (const std::string& ancestor : ancestry) {
    out.push_back({UnitSubtreePrefix(ancestor), ""});
    keys::PutString(&out.back().key, ancestry.front());
  }
  return out;
}

std::string TasksInvolvingPrefix(absl::string_view unit_code) {
  std::string key = "ti";
  keys::PutString(&key, unit_code);
  return key;
}

IndexEntries TaskInvolvementEntries(uint64_t id, const std::vector<std::string>& ancestry) {
  IndexEntries out;
  for (const std::string& ancestor : ancestry) {
    out.push_back({TasksInvolvingPrefix(ancestor), ""});
    keys::PutU64(&out.back().key, id);
  }
  return out;
}

std::string FormerChildrenPrefix(absl::string_view parent_code) {
  std::string key = "uf";
  keys::PutString(&key, parent_code);
  return key;
}

std::string FormerChildKey(absl::string_view parent_code, absl::string_view child_code) {
  std::string key = FormerChildrenPrefix(parent_code);
  keys::PutString(&key, child_code);
  return key;
}

IndexEntries FormerChildEntries(const v1::Unit& unit) {
  IndexEntries out;
  for (int i = 0; i + 1 < unit.history_size(); ++i) {
    const std::string& parent = unit.history(i).parent();
    if (!parent.empty() && parent != unit.history(i + 1).parent()) {
      out.push_back({FormerChildKey(CodeOf(parent), unit.code()), ""});
    }
  }
  return out;
}

std::string ChildUnitsPrefix(absl::string_view parent_code) {
  std::string key = "up";
  keys::PutString(&key, parent_code);
  return key;
}

bool ParseChildUnitSuffix(absl::string_view suffix, std::string* code) {
  uint8_t state, kind;
  return keys::GetU8(&suffix, &state) && keys::GetU8(&suffix, &kind) &&
         ParseUnitIndexSuffix(suffix, code);
}

IndexEntries UnitIndexEntries(const v1::Unit& unit) {
  IndexEntries out = {{UnitsPrefix(CodeOf(unit.parent()), unit.state(), unit.kind()), ""},
                      {UnitsPrefix(std::nullopt, unit.state(), unit.kind()), ""}};
  for (IndexEntry& entry : out) keys::PutString(&entry.key, unit.code());
  return out;
}

IndexEntries TaskIndexEntries(const v1::Task& task) {
  const uint64_t id = IdOf(task.name());
  const v1::TaskState state = task.state();
  IndexEntries out;
  auto add = [&](std::string key, std::string value = "") {
    keys::PutU64(&key, id);
    out.push_back({std::move(key), std::move(value)});
  };
  add(WithState(TasksPrefix(), state));
  add(WithState(TasksByAssigningUnitPrefix(CodeOf(task.assigning_unit())), state));
  add(WithState(TasksByKindPrefix(task.kind()), state));
  add(WithState(TasksByUrgencyPrefix(task.urgency()), state));
  for (const std::string& label : task.labels()) {
    add(WithState(TasksByLabelPrefix(label), state));
  }
  if (!task.parent_task().empty()) add(TasksByParentPrefix(IdOf(task.parent_task())));
  std::string text = absl::StrCat(task.title(), "\n", task.content());
  // folded word -> the hashes of its forms as typed
  absl::flat_hash_map<std::string, std::vector<uint32_t>> forms;
  for (const std::string& token : Tokenize(text)) {
    forms[Fold(token)].push_back(ExactFormHash(token));
  }
  for (auto& [folded, hashes] : forms) {
    std::sort(hashes.begin(), hashes.end());
    hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
    std::string value;
    for (uint32_t hash : hashes) keys::PutU32(&value, hash);
    add(PostingPrefix(folded), std::move(value));
  }
  return out;
}

uint8_t Bucket(const v1::Assignment& a) {
  if (a.state() == v1::ASSIGNMENT_STATE_COMPLETED &&
      ComputeTimeliness(TimelinessInputOf(a), absl::CivilDay(), 0) ==
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

std::string AssignmentsOfUnitPrefix(absl::string_view unit_code, uint8_t relation) {
  std::string key = "au";
  keys::PutString(&key, unit_code);
  keys::PutU8(&key, relation);
  return key;
}

std::string AssignmentsByUnitPrefix(absl::string_view unit_code, uint8_t relation, uint8_t bucket) {
  std::string key = AssignmentsOfUnitPrefix(unit_code, relation);
  keys::PutU8(&key, bucket);
  return key;
}

std::string AllAssignmentsPrefix(uint8_t bucket) {
  std::string key = "ab";
  keys::PutU8(&key, bucket);
  return key;
}

// `ancestry` is the assigned unit's code, then its parent's, up to the root.
uint64_t DeadlineKeyOfDay(int64_t day_number) { return keys::DeadlineKey(day_number); }

uint8_t CompletedLateBucket() { return keys::kBucketCompletedLate; }

std::vector<IndexRange> AssignmentRanges(const std::optional<std::string>& unit_code, bool subtree,
                                         const std::vector<v1::AssignmentRole>& roles,
                                         const std::vector<uint8_t>& state_buckets, uint64_t lo,
                                         uint64_t hi) {
  std::vector<IndexRange> ranges;
  if (lo > hi) return ranges;
  std::string lo_key, hi_key;
  keys::PutU64(&lo_key, lo);
  if (hi != keys::kNoDeadline) keys::PutU64(&hi_key, hi + 1);
  for (v1::AssignmentRole role : roles) {
    for (uint8_t state_bucket : state_buckets) {
      const uint8_t bucket = IndexBucket(role, state_bucket);
      if (!unit_code) {
        ranges.push_back({AllAssignmentsPrefix(bucket), lo_key, hi_key});
        continue;
      }
      ranges.push_back({AssignmentsByUnitPrefix(*unit_code, 0, bucket), lo_key, hi_key});
      if (subtree) {
        ranges.push_back({AssignmentsByUnitPrefix(*unit_code, 1, bucket), lo_key, hi_key});
      }
    }
  }
  return ranges;
}

IndexEntries AssignmentIndexEntries(const v1::Assignment& a, uint64_t task_id,
                                    const std::vector<std::string>& ancestry) {
  const uint8_t bucket = IndexBucket(a.role(), Bucket(a));
  const std::string sort = SortKey(a, task_id, ancestry.front());
  IndexEntries out = {{AllAssignmentsPrefix(bucket) + sort, ""}};
  for (size_t i = 0; i < ancestry.size(); ++i) {
    out.push_back({AssignmentsByUnitPrefix(ancestry[i], i == 0 ? 0 : 1, bucket) + sort, ""});
  }
  return out;
}

std::string TaskHistoryPrefix(uint64_t task_id) {
  std::string key = "ht";
  keys::PutU64(&key, task_id);
  return key;
}

std::string TaskHistoryKey(uint64_t task_id, int64_t revision, int32_t index) {
  std::string key = TaskHistoryPrefix(task_id);
  keys::PutU64(&key, static_cast<uint64_t>(revision));
  keys::PutU32(&key, static_cast<uint32_t>(index));
  return key;
}

}  // namespace d06
