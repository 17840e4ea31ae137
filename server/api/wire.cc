#include "server/api/wire.h"

#include <cstdint>
#include <map>

#include "absl/strings/str_cat.h"
#include "d06/v1/api_names.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "server/domain/errors.h"
#include "server/domain/text.h"

namespace d06 {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::internal::WireFormatLite;

// Deeper nesting than this is refused by the protobuf parser anyway.
constexpr int kMaxDepth = 100;

// Walks the encoded `type` in `bytes`; sets `*path` to the first string field that is not
// UTF-8. False when the bytes do not decode (the walk stops there).
bool Walk(const Descriptor& type, absl::string_view bytes, const std::string& prefix, int depth,
          std::string* path) {
  if (depth > kMaxDepth) return false;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  std::map<int, int> seen;  // field number -> occurrences so far, to index repeated fields
  while (const uint32_t tag = in.ReadTag()) {
    const FieldDescriptor* field = type.FindFieldByNumber(WireFormatLite::GetTagFieldNumber(tag));
    if (field == nullptr ||
        WireFormatLite::GetTagWireType(tag) != WireFormatLite::WIRETYPE_LENGTH_DELIMITED ||
        (field->type() != FieldDescriptor::TYPE_STRING &&
         field->type() != FieldDescriptor::TYPE_MESSAGE)) {
      if (!WireFormatLite::SkipField(&in, tag)) return false;
      continue;
    }
    std::string value;
    if (!WireFormatLite::ReadBytes(&in, &value)) return false;
    std::string name = absl::StrCat(prefix, field->name());
    if (field->is_repeated() && !field->is_map()) {
      absl::StrAppend(&name, "[", seen[field->number()]++, "]");
    }
    if (field->type() == FieldDescriptor::TYPE_STRING) {
      if (!IsValidUtf8(value)) {
        *path = std::move(name);
        return true;
      }
      continue;
    }
    if (!Walk(*field->message_type(), value, absl::StrCat(name, "."), depth + 1, path)) {
      return false;
    }
    if (!path->empty()) return true;
  }
  return in.ConsumedEntireMessage();
}

}  // namespace

std::string FindInvalidUtf8Field(const Descriptor& type, absl::string_view bytes) {
  std::string path;
  Walk(type, bytes, "", 0, &path);
  return path;
}

namespace {

absl::Status Malformed(const Descriptor& type) {
  return Error(absl::StatusCode::kInvalidArgument, v1::reason::kMalformedRequest,
               absl::StrCat("the request is not a valid ", type.full_name(),
                            " message; encode it with the d06.v1 protos"));
}

}  // namespace

absl::Status ParseRequest(absl::string_view bytes, google::protobuf::Message* request) {
  request->Clear();
  const Descriptor& type = *request->GetDescriptor();
  // The bytes are walked before the parser sees them: it would refuse a string that is
  // not UTF-8 too, but log an error line per request, which a misbehaving client could
  // flood the log with. Bytes the walk cannot decode never reach the parser either: it
  // may read a nested string past its message's end (and log it) before it notices.
  std::string field;
  if (!Walk(type, bytes, "", 0, &field)) return Malformed(type);
  if (!field.empty()) return InvalidField(field, absl::StrCat(field, " is not valid UTF-8"));
  if (!request->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    request->Clear();
    return Malformed(type);
  }
  return absl::OkStatus();
}

}  // namespace d06
