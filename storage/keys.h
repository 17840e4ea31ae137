// The on-disk layout of d06: every column family and every key, in one place.
//
// Schema version 3 (before the first release: version 1 had no role in assignment index
// keys and no state in label index keys; version 2 posted every word twice, as typed and
// folded). Integers are big-endian so byte order is numeric order; variable
// strings (unit codes, labels, tokens) end with a 0x00 byte (they never contain one:
// input text is validated and control characters are rejected).
//
// Column family "default" (metadata):
//   "schema_version"            -> decimal string, kSchemaVersion
//   "revision"                  -> u64 last committed revision
//   "next_task_id"              -> u64 next task id to hand out
//   "oldest_event_revision"     -> u64 the oldest revision whose events are kept; absent:
//                                  1 (retention has removed nothing,
//                                  server/core/retention.cc)
//   "page_token_key"            -> 32 random bytes: the AES-256-GCM key that seals page
//                                  tokens (server/core/paging.h), made when a Core first
//                                  opens the directory; never sent, logged or exported
//   "benchmark_pipeline"        -> "1": written by the benchmark's ceiling only
//                                  (d06d --benchmark_pipeline)
//
// Column family "entities" (serialized d06.v1 messages):
//   'u' code 0x00               -> Unit
//   't' u64 task_id             -> Task
//   'a' u64 task_id code 0x00   -> Assignment          (all of a task's assignments are
//                                                        one prefix scan)
//   'p' u64 task_id code 0x00 u64 deadline_key(period start)
//                               -> PeriodReport        (an assignment's, oldest first)
//   'P' principal_id 0x00       -> Principal
//   'K' principal_id 0x00 token_id 0x00
//                               -> 32-byte SHA-256 of the secret, then the Token
//                                  (server/model/entities.h; the secret is never stored)
//
// Column family "indexes" (empty values, the key is the fact; except the postings):
//   "up" parent_code 0x00 u8 state u8 kind code 0x00          units by parent
//   "us" u8 state u8 kind code 0x00                           units by state and kind
//   "ua" ancestor_code 0x00 code 0x00                         units by subtree: a unit under
//                                                             itself and each ancestor
//   "ts" u8 state u64 id                                      tasks by state
//   "tu" unit_code 0x00 u8 state u64 id                       tasks by assigning unit
//   "tk" u8 kind u8 state u64 id                              tasks by kind
//   "tg" u8 urgency u8 state u64 id                           tasks by urgency
//   "tl" label 0x00 u8 state u64 id                           tasks by label
//   "tp" u64 parent_id u64 id                                 tasks by parent task
//   "ti" unit_code 0x00 u64 id                                tasks involving a subtree:
//                                                             under each ancestor-or-self of
//                                                             the assigning unit and of
//                                                             every assigned unit (the scope
//                                                             of a viewer's ListTasks)
//   "tf" folded_token 0x00 u64 id                             words of title+content,
//                                                             folded -> the distinct forms
//                                                             as typed, each a u32 hash
//                                                             (ExactFormHash), ascending
//   "ab" u8 bucket SORT                                       assignments, all
//   "au" unit_code 0x00 u8 relation u8 bucket SORT            assignments by unit; one key
//                                                             per ancestor-or-self of the
//                                                             assigned unit (relation 0 =
//                                                             the unit itself, 1 = below it)
//   "ht" u64 task_id u64 revision u32 index                   a task's events, in order
//   "kh" sha256 (32 bytes)      -> principal_id 0x00 token_id 0x00   tokens by hash
//   "pc" subject 0x00           -> principal_id            principals by certificate
//                                                             subject ("URI:...", "CN:...")
//   "dq" u64 deadline_key(day) u64 task_id unit_code 0x00 u8 crossing
//                                                             deadline queue: the days open
//                                                             assignments become due soon
//                                                             (1) and overdue (2)
//                                                             (server/model/deadline_queue.h)
//   "rc" unit_code 0x00 u8 relation u8 group_kind [group 0x00] u8 class u64 deadline_key
//        u64 0                  -> u64 day i64 count       report counters: the newest,
//        u64 ~day               -> i64 count               and closed days' counts
//                                                             (server/model/report_counters.h)
//   where SORT = u64 deadline_key, u64 task_id, unit_code 0x00
//   and bucket = role number * kRoleStride + the assignment state number, except that a
//   COMPLETED assignment finished late has kBucketCompletedLate for its state number.
//
// Column family "events":
//   u64 revision u32 index      -> Event
//
// Column family "idempotency":
//   [principal name 0x00] request_id -> u64 request fingerprint, then the serialized
//                                 response (the principal's name when authenticated:
//                                 request ids are per principal)
#ifndef D06_STORAGE_KEYS_H_
#define D06_STORAGE_KEYS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace d06::keys {

inline constexpr int kSchemaVersion = 4;

inline constexpr char kMetaSchemaVersion[] = "schema_version";
inline constexpr char kMetaRevision[] = "revision";
inline constexpr char kMetaNextTaskId[] = "next_task_id";
inline constexpr char kMetaOldestEventRevision[] = "oldest_event_revision";
inline constexpr char kMetaPageTokenKey[] = "page_token_key";
inline constexpr char kMetaBenchmarkPipeline[] = "benchmark_pipeline";

// Bucket of a COMPLETED assignment whose completion was reported after its deadline.
inline constexpr uint8_t kBucketCompletedLate = 32;
// Assignment index buckets of role r are r * kRoleStride + state bucket (at most 160).
inline constexpr int kRoleStride = 64;
// The deadline_key of an assignment with no deadline: sorts after every date.
inline constexpr uint64_t kNoDeadline = ~uint64_t{0};

// Encoding primitives, appending to *out.
void PutU8(std::string* out, uint8_t v);
void PutU32(std::string* out, uint32_t v);
void PutU64(std::string* out, uint64_t v);
void PutString(std::string* out, absl::string_view s);  // s then 0x00

// Decoding primitives: read from the front of *in and advance it; false if malformed.
bool GetU8(absl::string_view* in, uint8_t* v);
bool GetU32(absl::string_view* in, uint32_t* v);
bool GetU64(absl::string_view* in, uint64_t* v);
bool GetString(absl::string_view* in, std::string* s);

// A deadline as a day number (days since 1970-01-01) in sortable form.
uint64_t DeadlineKey(int64_t day_number);

// Entity keys.
std::string UnitKey(absl::string_view code);
std::string TaskKey(uint64_t id);
std::string AssignmentKey(uint64_t task_id, absl::string_view unit_code);
std::string AssignmentPrefix(uint64_t task_id);  // every assignment of one task
// A period report of an assignment; `start_key` is DeadlineKey of its first day.
std::string PeriodReportKey(uint64_t task_id, absl::string_view unit_code, uint64_t start_key);
std::string PeriodReportPrefix(uint64_t task_id, absl::string_view unit_code);
std::string PrincipalKey(absl::string_view id);
inline constexpr char kPrincipalPrefix[] = "P";  // every principal, by id
std::string TokenKey(absl::string_view principal_id, absl::string_view token_id);
std::string TokenPrefix(absl::string_view principal_id);  // a principal's tokens

// Index keys of access (their values name the principal or token).
std::string TokenHashKey(absl::string_view hash);
std::string SubjectKey(absl::string_view subject);

// Event keys.
std::string EventKey(int64_t revision, int32_t index);

// The smallest string greater than every string that starts with `prefix`
// (the exclusive end of a prefix scan); empty if there is none.
std::string PrefixEnd(absl::string_view prefix);

}  // namespace d06::keys

#endif  // D06_STORAGE_KEYS_H_
