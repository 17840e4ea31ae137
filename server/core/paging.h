// Paging of every list: page sizes, page tokens (sealed, bound to the list and the
// caller), and one page collected from an index scan with a bounded number of reads.
#ifndef D06_SERVER_CORE_PAGING_H_
#define D06_SERVER_CORE_PAGING_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/limits.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "server/domain/caller.h"
#include "server/domain/page_limit.h"
#include "storage/status_macros.h"
#include "storage/store.h"

namespace d06 {

// The page size to use for `requested` (0: the default; larger than the maximum: clamped).
int PageSize(int requested);
// A negative page_size is INVALID_ARGUMENT.
absl::Status CheckPageSize(int requested);

// Page tokens: the cursor of a list's next page (the last index key it looked at), sealed
// so that a client can neither read it nor make one up. A token is web-safe base64
// (without padding) of
//   u8 version (3) | 12-byte nonce | AES-256-GCM ciphertext of the cursor | 16-byte tag
// under the data directory's key (keys::kMetaPageTokenKey in storage/keys.h), with a fresh
// random nonce each time; the tag also covers the version and, as additional data, the
// list's scope (the kind of list, its parent, filter and query) and the caller's principal
// name ("" with authentication off: the actor is not bound, any actor may be named then).
// Any change to a token (a character cut, added or altered), its use with another parent,
// filter or query, by another principal, or under another key, is INVALID_PAGE_TOKEN
// instead of resuming somewhere else; so is a token of an older format. The key never
// leaves the server; tokens stay valid across restarts on the same data directory.
//
//   PageTokens tokens(store);
//   ASSIGN_OR_RETURN(std::string after, tokens.Decode(caller, request.page_token(), scope));
//   ... collect the page, `next` the cursor of the next one ...
//   ASSIGN_OR_RETURN(*response->mutable_next_page_token(), tokens.Encode(caller, scope, next));
//
// Thread-safe. Encode and Decode may read or write the key if the constructor could not:
// never call them, nor the constructor, on the store's writer thread.
class PageTokens {
 public:
  static constexpr size_t kKeyBytes = 32;

  // Sealed with the key in `store`'s metadata, read here; a data directory without one
  // gets one here (kKeyBytes from OpenSSL's CSPRNG, written durably through the store's
  // writer: blocks until it is). Should that fail, the first Encode or Decode that needs
  // the key tries again (and fails with the store's error). `store` is not owned and must
  // outlive this.
  explicit PageTokens(Store* store);
  // Sealed with `key` (kKeyBytes bytes), e.g. in tests.
  explicit PageTokens(std::string key);
  PageTokens(const PageTokens&) = delete;
  PageTokens& operator=(const PageTokens&) = delete;

  // The token of `cursor` for `caller` in `scope`; empty for an empty cursor (no next
  // page). An error only if the key cannot be read or made (the store's error), or
  // OpenSSL fails (INTERNAL).
  absl::StatusOr<std::string> Encode(const Caller& caller, absl::string_view scope,
                                     absl::string_view cursor) const;
  // The cursor of `token` (empty for an empty token), or INVALID_PAGE_TOKEN (or the
  // store's error if the key cannot be read).
  absl::StatusOr<std::string> Decode(const Caller& caller, absl::string_view token,
                                     absl::string_view scope) const;

 private:
  // The key; reads or makes it if the constructor could not.
  absl::StatusOr<std::string> Key() const;

  Store* const store_;  // null when constructed with a key
  mutable absl::Mutex mu_;
  mutable std::string key_ ABSL_GUARDED_BY(mu_);  // empty until read
};

// INVALID_ARGUMENT/INVALID_PAGE_TOKEN.
absl::Status InvalidPageToken();

// Collects one page from an index scan, of at most `page_size` items and about
// kMaxPageBytes (PageLimit). `match` loads the entity for a suffix and says
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
  PageLimit limit(page_size);
  RETURN_IF_ERROR(
      view.ScanMerged(cf, ranges, after, [&](absl::string_view suffix, absl::string_view) {
        if (limit.Full(out->size()) || scanned >= kScanBudget) {
          next = last;  // there is more: resume after the last one looked at
          return false;
        }
        if (!last.empty() && suffix == last) return true;  // in two ranges: listed once
        ++scanned;
        last = std::string(suffix);
        T item;
        absl::StatusOr<bool> matched = match(suffix, &item);
        if (!matched.ok()) {
          status = matched.status();
          return false;
        }
        if (*matched) {
          limit.Add(item);
          *out->Add() = std::move(item);
        }
        return true;
      }));
  RETURN_IF_ERROR(status);
  return next;
}

}  // namespace d06

#endif  // D06_SERVER_CORE_PAGING_H_
