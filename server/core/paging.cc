#include "server/core/paging.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/limits.h"
#include "d06/v1/api_names.h"
#include "server/domain/errors.h"
#include "storage/keys.h"
#include "storage/status_macros.h"

namespace d06 {

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

namespace {

// 2 was the checksummed cursor in the clear; its tokens are refused.
constexpr uint8_t kPageTokenVersion = 3;
constexpr size_t kNonceBytes = 12;  // GCM's own IV length
constexpr size_t kTagBytes = 16;

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

const unsigned char* Bytes(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// What the tag covers besides the cursor: the version, the scope (its length first, so
// that no other split of scope and principal gives the same bytes) and the principal.
std::string AdditionalData(const Caller& caller, absl::string_view scope) {
  std::string data;
  keys::PutU8(&data, kPageTokenVersion);
  keys::PutU32(&data, static_cast<uint32_t>(scope.size()));
  data.append(scope.data(), scope.size());
  if (caller.principal != nullptr) data.append(caller.principal->name());
  return data;
}

// version | nonce | AES-256-GCM(key, nonce, additional data; cursor) | tag.
absl::StatusOr<std::string> Seal(absl::string_view key, absl::string_view additional,
                                 absl::string_view cursor) {
  std::string raw(1 + kNonceBytes + cursor.size() + kTagBytes, '\0');
  raw[0] = static_cast<char>(kPageTokenVersion);
  auto* nonce = reinterpret_cast<unsigned char*>(&raw[1]);
  auto* ciphertext = nonce + kNonceBytes;
  auto* tag = ciphertext + cursor.size();
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int length = 0;
  if (RAND_bytes(nonce, kNonceBytes) != 1 || ctx == nullptr ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(key), nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &length, Bytes(additional),
                        static_cast<int>(additional.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), ciphertext, &length, Bytes(cursor),
                        static_cast<int>(cursor.size())) != 1 ||
      static_cast<size_t>(length) != cursor.size() ||
      EVP_EncryptFinal_ex(ctx.get(), ciphertext + length, &length) != 1 || length != 0 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, tag) != 1) {
    return absl::InternalError("cannot seal a page token (OpenSSL failed)");
  }
  return raw;
}

// The cursor of `raw` (Seal's output) if its tag holds for `key` and `additional`.
std::optional<std::string> Open(absl::string_view key, absl::string_view additional,
                                absl::string_view raw) {
  if (raw.size() < 1 + kNonceBytes + 1 + kTagBytes) return std::nullopt;
  const absl::string_view nonce = raw.substr(1, kNonceBytes);
  const absl::string_view ciphertext =
      raw.substr(1 + kNonceBytes, raw.size() - 1 - kNonceBytes - kTagBytes);
  std::string tag(raw.substr(raw.size() - kTagBytes));
  std::string cursor(ciphertext.size(), '\0');
  auto* out = reinterpret_cast<unsigned char*>(cursor.data());
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int length = 0;
  if (ctx == nullptr ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(key), Bytes(nonce)) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &length, Bytes(additional),
                        static_cast<int>(additional.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), out, &length, Bytes(ciphertext),
                        static_cast<int>(ciphertext.size())) != 1 ||
      static_cast<size_t>(length) != ciphertext.size() ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), out + length, &length) != 1) {
    return std::nullopt;  // altered, or sealed for another list, principal or key
  }
  return cursor;
}

absl::StatusOr<std::string> CheckedKey(std::string key) {
  if (key.size() != PageTokens::kKeyBytes) {
    return absl::DataLossError(absl::StrCat("metadata ", keys::kMetaPageTokenKey, " is malformed"));
  }
  return key;
}

// The data directory's key; a new one, written durably, when it has none yet.
absl::StatusOr<std::string> LoadOrCreateKey(Store& store) {
  {
    auto view = store.Snapshot();
    ASSIGN_OR_RETURN(std::optional<std::string> stored,
                     view->Get(Cf::kMeta, keys::kMetaPageTokenKey));
    if (stored) return CheckedKey(*std::move(stored));
  }
  std::string fresh(PageTokens::kKeyBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(fresh.data()), static_cast<int>(fresh.size())) !=
      1) {
    return absl::InternalError("cannot make the page token key (OpenSSL's CSPRNG failed)");
  }
  std::string key;
  RETURN_IF_ERROR(store.Apply([&](Txn& txn) -> absl::Status {
    // On the writer, so that of two first uses at once both end with the same key.
    ASSIGN_OR_RETURN(std::optional<std::string> stored,
                     txn.reader().Get(Cf::kMeta, keys::kMetaPageTokenKey));
    if (stored) {
      key = *std::move(stored);
      return absl::OkStatus();
    }
    txn.SetBookkeeping();  // no event, so no revision of the change feed
    txn.Put(Cf::kMeta, keys::kMetaPageTokenKey, fresh);
    key = fresh;
    return absl::OkStatus();
  }));
  OPENSSL_cleanse(fresh.data(), fresh.size());
  return CheckedKey(std::move(key));
}

}  // namespace

PageTokens::PageTokens(Store* store) : store_(store) {
  // At once, so that lists need no write later (the store may have failed stop by then:
  // reads must go on). If the key cannot be had now, the first token that needs it tries
  // again.
  absl::StatusOr<std::string> key = LoadOrCreateKey(*store_);
  if (key.ok()) {
    absl::MutexLock lock(&mu_);
    key_ = *std::move(key);
  }
}

PageTokens::PageTokens(std::string key) : store_(nullptr), key_(std::move(key)) {}

absl::StatusOr<std::string> PageTokens::Key() const {
  absl::MutexLock lock(&mu_);
  if (key_.empty() && store_ != nullptr) {
    ASSIGN_OR_RETURN(key_, LoadOrCreateKey(*store_));
  }
  return CheckedKey(key_);
}

absl::StatusOr<std::string> PageTokens::Encode(const Caller& caller, absl::string_view scope,
                                               absl::string_view cursor) const {
  if (cursor.empty()) return std::string();
  ASSIGN_OR_RETURN(const std::string key, Key());
  ASSIGN_OR_RETURN(const std::string raw, Seal(key, AdditionalData(caller, scope), cursor));
  return absl::WebSafeBase64Escape(raw);
}

absl::Status InvalidPageToken() {
  return Error(absl::StatusCode::kInvalidArgument, v1::reason::kInvalidPageToken,
               "page_token is not one this list returned to this caller for the same "
               "parent, filter and query; start again without a page_token",
               {{"field", "page_token"}});
}

absl::StatusOr<std::string> PageTokens::Decode(const Caller& caller, absl::string_view token,
                                               absl::string_view scope) const {
  if (token.empty()) return std::string();
  if (token.size() > kMaxPageTokenBytes) return InvalidPageToken();
  std::string raw;
  // Only the canonical encoding is accepted: base64 text that decodes to the same bytes
  // as another (e.g. different unused trailing bits) is an altered token too.
  if (!absl::WebSafeBase64Unescape(token, &raw) || absl::WebSafeBase64Escape(raw) != token ||
      raw.empty() || static_cast<uint8_t>(raw[0]) != kPageTokenVersion) {
    return InvalidPageToken();
  }
  ASSIGN_OR_RETURN(const std::string key, Key());
  std::optional<std::string> cursor = Open(key, AdditionalData(caller, scope), raw);
  if (!cursor) return InvalidPageToken();
  return *std::move(cursor);
}

}  // namespace d06
