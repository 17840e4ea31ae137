#include "server/core/paging.h"

#include <algorithm>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/limits.h"
#include "d06/v1/api_names.h"
#include "server/domain/errors.h"
#include "server/domain/fingerprint.h"
#include "storage/keys.h"

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

constexpr uint8_t kPageTokenVersion = 2;

uint64_t PageTokenChecksum(absl::string_view scope, absl::string_view body) {
  return Fnv1a(absl::StrCat(scope, absl::string_view("\0", 1), body));
}

}  // namespace

std::string EncodePageToken(absl::string_view scope, absl::string_view cursor) {
  std::string raw;
  keys::PutU8(&raw, kPageTokenVersion);
  raw.append(cursor.data(), cursor.size());
  keys::PutU64(&raw, PageTokenChecksum(scope, raw));
  return absl::WebSafeBase64Escape(raw);
}

absl::Status InvalidPageToken() {
  return Error(absl::StatusCode::kInvalidArgument, v1::reason::kInvalidPageToken,
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

}  // namespace d06
