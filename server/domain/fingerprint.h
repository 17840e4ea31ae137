// Stable hashes: the same bytes give the same value in every process and release, since
// idempotency records and search postings outlive a restart.
#ifndef D06_SERVER_DOMAIN_FINGERPRINT_H_
#define D06_SERVER_DOMAIN_FINGERPRINT_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace d06 {

// 64-bit FNV-1a of `bytes`.
uint64_t Fnv1a(absl::string_view bytes);

// Fnv1a of a message's type name and deterministic serialisation: the same request gives
// the same fingerprint in every process (idempotency records compare them).
uint64_t Fingerprint(const google::protobuf::Message& message);

}  // namespace d06

#endif  // D06_SERVER_DOMAIN_FINGERPRINT_H_
