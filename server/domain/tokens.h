// Bearer tokens: their format, checksum and hash (OpenSSL's CSPRNG and SHA-256, zlib's
// CRC-32; nothing hand-written).
//
// A token is "d06_" (v1::kTokenPrefix), 43 characters of [0-9A-Za-z] drawn uniformly from
// the OS CSPRNG (log2(62^43) = 256.03 bits), and 6 characters of [0-9A-Za-z]: the CRC-32 of
// everything before it, in base 62, so that a scanner (or the server, before any lookup)
// can tell a mistyped or made-up token from a real one offline, as GitHub's tokens allow.
// 53 characters in all. Only its SHA-256 is stored.
//
//   std::string secret = NewTokenSecret();          // "d06_Xq3...Z9k0aB"
//   absl::Status s = CheckTokenFormat(secret);       // OK
//   std::string hash = TokenHash(secret);            // 32 bytes, what the store keeps
//   bool same = HashesEqual(hash, stored_hash);      // constant time
//
// Thread-safe.
#ifndef D06_SERVER_DOMAIN_TOKENS_H_
#define D06_SERVER_DOMAIN_TOKENS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace d06 {

inline constexpr size_t kTokenRandomChars = 43;
inline constexpr size_t kTokenChecksumChars = 6;
inline constexpr size_t kTokenLength = 4 + kTokenRandomChars + kTokenChecksumChars;

// A new token. Aborts if the OS CSPRNG fails (nothing safe can be issued then).
std::string NewTokenSecret();

// OK when `token` has the format and its checksum matches; else UNAUTHENTICATED/
// TOKEN_MALFORMED saying what a token looks like (never echoing it).
absl::Status CheckTokenFormat(absl::string_view token);

// SHA-256 of the token (32 raw bytes).
std::string TokenHash(absl::string_view token);

// Whether two hashes are equal, in time independent of where they differ (CRYPTO_memcmp).
bool HashesEqual(absl::string_view a, absl::string_view b);

// `count` random characters of [0-9a-z] from the CSPRNG (for ids).
std::string RandomId(size_t count);

}  // namespace d06

#endif  // D06_SERVER_DOMAIN_TOKENS_H_
