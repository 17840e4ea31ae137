#include "server/domain/tokens.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <zlib.h>

#include <cstdint>
#include <cstdlib>

#include "absl/strings/match.h"
#include "common/log.h"
#include "d06/v1/api_names.h"
#include "server/domain/errors.h"

namespace d06 {
namespace {

constexpr char kBase62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr char kBase36[] = "0123456789abcdefghijklmnopqrstuvwxyz";

// `count` characters drawn uniformly from `alphabet` (rejection sampling of CSPRNG bytes,
// so no character is likelier than another).
std::string RandomChars(size_t count, absl::string_view alphabet) {
  const int size = static_cast<int>(alphabet.size());
  const int limit = 256 - 256 % size;
  std::string out;
  unsigned char buffer[64];
  while (out.size() < count) {
    if (RAND_bytes(buffer, sizeof(buffer)) != 1) {
      log::Error("the OS random number generator failed");
      std::abort();
    }
    for (unsigned char byte : buffer) {
      if (byte < limit && out.size() < count) out.push_back(alphabet[byte % size]);
    }
  }
  return out;
}

std::string Checksum(absl::string_view body) {
  uint32_t crc = static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size())));
  std::string out(kTokenChecksumChars, '0');
  for (size_t i = kTokenChecksumChars; i-- > 0;) {
    out[i] = kBase62[crc % 62];
    crc /= 62;
  }
  return out;
}

bool IsBase62(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

}  // namespace

std::string NewTokenSecret() {
  std::string body = std::string(v1::kTokenPrefix) + RandomChars(kTokenRandomChars, kBase62);
  return body + Checksum(body);
}

absl::Status CheckTokenFormat(absl::string_view token) {
  bool ok = token.size() == kTokenLength && absl::StartsWith(token, v1::kTokenPrefix);
  for (size_t i = 4; ok && i < token.size(); ++i) ok = IsBase62(token[i]);
  if (ok) {
    const absl::string_view body = token.substr(0, kTokenLength - kTokenChecksumChars);
    ok = Checksum(body) == token.substr(body.size());
  }
  if (ok) return absl::OkStatus();
  return Error(absl::StatusCode::kUnauthenticated, v1::reason::kTokenMalformed,
               "the bearer token is not a d06 token (\"d06_\" and 49 letters and digits, with "
               "a checksum): check that it was copied whole");
}

std::string TokenHash(absl::string_view token) {
  // Fetched once: OpenSSL 3's one-shot SHA256() looks the algorithm up in its provider
  // table (under a lock) on every call, half of its cost on a token this short.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  if (kSha256 == nullptr ||
      EVP_Digest(token.data(), token.size(), reinterpret_cast<unsigned char*>(out.data()), nullptr,
                 kSha256, nullptr) != 1) {
    SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(),
           reinterpret_cast<unsigned char*>(out.data()));
  }
  return out;
}

bool HashesEqual(absl::string_view a, absl::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string RandomId(size_t count) { return RandomChars(count, kBase36); }

}  // namespace d06
