// Paging of every list: page sizes, opaque page tokens, and one page collected from an
// index scan with a bounded number of reads.
#ifndef D06_SERVER_CORE_PAGING_H_
#define D06_SERVER_CORE_PAGING_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/limits.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "server/domain/page_limit.h"
#include "storage/status_macros.h"
#include "storage/store.h"

namespace d06 {

// The page size to use for `requested` (0: the default; larger than the maximum: clamped).
int PageSize(int requested);
// A negative page_size is INVALID_ARGUMENT.
absl::Status CheckPageSize(int requested);

// A page token is the cursor with a checksum that covers it and the list's scope (the
// kind of list, its parent, filter and query): web-safe base64 of
//   u8 version (2) | cursor | u64 FNV-1a of (scope, 0x00, version, cursor).
// Any change to a token (a character cut, added or altered), or its use with another
// parent, filter or query, is INVALID_PAGE_TOKEN instead of resuming somewhere else.
std::string EncodePageToken(absl::string_view scope, absl::string_view cursor);
// The cursor of `token` (empty for an empty token), or INVALID_PAGE_TOKEN.
absl::StatusOr<std::string> DecodePageToken(absl::string_view token, absl::string_view scope);
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
