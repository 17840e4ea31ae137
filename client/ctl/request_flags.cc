#include "client/ctl/request_flags.h"

#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "client/ctl/catalog.h"
#include "client/ctl/global_options.h"
#include "client/ctl/suggest.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"

namespace d06::ctl {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

absl::Status Usage(absl::string_view flag, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(flag, ": ", problem));
}

bool IsType(const FieldDescriptor& field, absl::string_view full_name) {
  return field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
         field.message_type()->full_name() == full_name;
}

// Whether a message field takes a single value (a date, a time, a mask, a duration).
bool IsLeafMessage(const FieldDescriptor& field) {
  return field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
         (IsDateType(*field.message_type()) || IsType(field, "google.protobuf.Timestamp") ||
          IsType(field, "google.protobuf.Duration") || IsType(field, "google.protobuf.FieldMask"));
}

std::string EnumNames(const google::protobuf::EnumDescriptor& type) {
  std::vector<std::string> names;
  for (int i = 0; i < type.value_count(); ++i) {
    if (type.value(i)->number() == 0) continue;  // *_UNSPECIFIED
    names.push_back(ShortEnumName(*type.value(i)));
  }
  return absl::StrJoin(names, ", ");
}

absl::Status ParseDate(absl::string_view flag, absl::string_view text, Message* date) {
  const Descriptor* type = date->GetDescriptor();
  const Reflection* reflection = date->GetReflection();
  date->Clear();
  if (text.empty()) return absl::OkStatus();
  int year = 0, month = 0, day = 0;
  std::vector<absl::string_view> parts;
  bool ok = false;
  if (absl::StrContains(text, '/')) {
    parts = absl::StrSplit(text, '/');
    ok = parts.size() == 3 && absl::SimpleAtoi(parts[0], &day) &&
         absl::SimpleAtoi(parts[1], &month) && absl::SimpleAtoi(parts[2], &year) &&
         parts[2].size() == 4;
  } else {
    parts = absl::StrSplit(text, '-');
    ok = parts.size() == 3 && absl::SimpleAtoi(parts[0], &year) &&
         absl::SimpleAtoi(parts[1], &month) && absl::SimpleAtoi(parts[2], &day) &&
         parts[0].size() == 4;
  }
  const absl::CivilDay civil(year, month, day);
  if (!ok || civil.year() != year || civil.month() != month || civil.day() != day) {
    return Usage(flag, absl::StrCat("\"", text,
                                    "\" is not a date: give dd/MM/yyyy or yyyy-MM-dd, "
                                    "e.g. 31/12/2025 or 2025-12-31"));
  }
  reflection->SetInt32(date, type->FindFieldByName("year"), year);
  reflection->SetInt32(date, type->FindFieldByName("month"), month);
  reflection->SetInt32(date, type->FindFieldByName("day"), day);
  return absl::OkStatus();
}

// Copies a generated well-known message into `target` (same wire format, any pool).
void CopyInto(const Message& source, Message* target) {
  target->ParseFromString(source.SerializeAsString());
}

absl::Status ParseLeafMessage(absl::string_view flag, absl::string_view text,
                              const FieldDescriptor& field, Message* value) {
  if (IsDateType(*field.message_type())) return ParseDate(flag, text, value);
  if (IsType(field, "google.protobuf.Timestamp")) {
    google::protobuf::Timestamp time;
    if (!google::protobuf::util::TimeUtil::FromString(std::string(text), &time)) {
      return Usage(flag, absl::StrCat("\"", text,
                                      "\" is not an RFC 3339 time, e.g. "
                                      "2025-07-01T08:00:00+07:00"));
    }
    CopyInto(time, value);
    return absl::OkStatus();
  }
  if (IsType(field, "google.protobuf.Duration")) {
    google::protobuf::Duration duration;
    if (!google::protobuf::util::TimeUtil::FromString(std::string(text), &duration)) {
      return Usage(flag, absl::StrCat("\"", text, "\" is not a duration, e.g. 1.5s"));
    }
    CopyInto(duration, value);
    return absl::OkStatus();
  }
  // FieldMask: comma-separated paths.
  value->Clear();
  const FieldDescriptor* paths = value->GetDescriptor()->FindFieldByName("paths");
  for (absl::string_view path : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    value->GetReflection()->AddString(value, paths, std::string(absl::StripAsciiWhitespace(path)));
  }
  return absl::OkStatus();
}

// The field called `name` in `type` (proto name, '-' for '_', or JSON name), or null.
const FieldDescriptor* FindField(const Descriptor& type, absl::string_view name) {
  std::string snake(name);
  std::replace(snake.begin(), snake.end(), '-', '_');
  const FieldDescriptor* field = type.FindFieldByName(snake);
  if (field != nullptr) return field;
  for (int i = 0; i < type.field_count(); ++i) {
    if (type.field(i)->json_name() == name) return type.field(i);
  }
  return nullptr;
}

std::string FieldNames(const Descriptor& type) {
  std::vector<std::string> names;
  for (int i = 0; i < type.field_count(); ++i) names.push_back(type.field(i)->name());
  return absl::StrJoin(names, ", ");
}

absl::StatusOr<std::string> ReadJsonArgument(absl::string_view value) {
  if (!absl::StartsWith(value, "@")) return std::string(value);
  const std::string path(value.substr(1));
  if (path == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), {});
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) return Usage("--json", absl::StrCat("cannot read ", path));
  return std::string(std::istreambuf_iterator<char>(file), {});
}

// The enum value `text` names: the full name, the short name the tables print
// (IN_PROGRESS for ASSIGNMENT_STATE_IN_PROGRESS), any case; null if none.
const google::protobuf::EnumValueDescriptor* FindEnumValue(
    const google::protobuf::EnumDescriptor& type, absl::string_view text) {
  const std::string upper = absl::AsciiStrToUpper(text);
  const google::protobuf::EnumValueDescriptor* value = type.FindValueByName(upper);
  if (value == nullptr) value = type.FindValueByName(EnumValuePrefix(type) + upper);
  return value;
}

// Rewrites, in parsed JSON `value` of a message of `type`, every enum given by a short
// or lower-case name to its full name, so that json_util accepts it.
void NormalizeEnums(const Descriptor& type, google::protobuf::Value* value) {
  if (!value->has_struct_value()) return;
  for (auto& [key, item] : *value->mutable_struct_value()->mutable_fields()) {
    const FieldDescriptor* field = FindField(type, key);
    if (field == nullptr || field->is_map()) continue;
    std::vector<google::protobuf::Value*> items;
    if (field->is_repeated() && item.has_list_value()) {
      for (google::protobuf::Value& element : *item.mutable_list_value()->mutable_values()) {
        items.push_back(&element);
      }
    } else {
      items.push_back(&item);
    }
    for (google::protobuf::Value* one : items) {
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_ENUM && one->has_string_value()) {
        const auto* found = FindEnumValue(*field->enum_type(), one->string_value());
        if (found != nullptr) one->set_string_value(found->name());
      } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !IsLeafMessage(*field)) {
        NormalizeEnums(*field->message_type(), one);
      }
    }
  }
}

// Proto JSON into `message`, also with the spellings d06ctl prints: short enum names in
// any case (field names in lowerCamelCase or snake_case json_util takes itself).
absl::Status ParseJsonMessage(absl::string_view json, Message* message) {
  const std::string text(json);
  const auto direct = google::protobuf::util::JsonStringToMessage(text, message);
  if (direct.ok()) return absl::OkStatus();
  google::protobuf::Value parsed;
  if (!google::protobuf::util::JsonStringToMessage(text, &parsed).ok()) {
    return absl::InvalidArgumentError(std::string(direct.message()));
  }
  NormalizeEnums(*message->GetDescriptor(), &parsed);
  std::string normalized;
  (void)google::protobuf::util::MessageToJsonString(parsed, &normalized);
  message->Clear();
  const auto again = google::protobuf::util::JsonStringToMessage(normalized, message);
  return again.ok() ? absl::OkStatus() : absl::InvalidArgumentError(std::string(direct.message()));
}

void AppendFlagsHelp(const Descriptor& type, const std::string& prefix, int depth,
                     std::string* out) {
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor& field = *type.field(i);
    const std::string comment = CommentOf(field);
    if (absl::StrContains(comment, "Output only") && field.name() != "name") continue;
    const std::string path = absl::StrCat(prefix, field.name());
    std::string kind;
    std::string note;
    if (field.is_map()) {
      kind = "(map: --json only)";
    } else if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !IsLeafMessage(field)) {
      if (field.is_repeated()) {
        kind = "(repeated message: --json only)";
      } else {
        if (depth < 3) AppendFlagsHelp(*field.message_type(), path + ".", depth + 1, out);
        continue;
      }
    } else if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (IsDateType(*field.message_type())) {
        kind = "DATE";
        note = "dd/MM/yyyy or yyyy-MM-dd";
      } else if (IsType(field, "google.protobuf.Timestamp")) {
        kind = "TIME";
        note = "RFC 3339";
      } else if (IsType(field, "google.protobuf.Duration")) {
        kind = "DURATION";
      } else {
        kind = "PATH,...";
      }
    } else {
      switch (field.cpp_type()) {
        case FieldDescriptor::CPPTYPE_BOOL:
          kind = "[=true|false]";
          break;
        case FieldDescriptor::CPPTYPE_ENUM:
          kind =
              absl::AsciiStrToUpper(absl::StrJoin(SplitCamelCase(field.enum_type()->name()), "_"));
          note = absl::StrCat("one of ", EnumNames(*field.enum_type()));
          break;
        case FieldDescriptor::CPPTYPE_STRING:
          kind = field.type() == FieldDescriptor::TYPE_BYTES ? "BYTES" : "STRING";
          break;
        case FieldDescriptor::CPPTYPE_DOUBLE:
        case FieldDescriptor::CPPTYPE_FLOAT:
          kind = "NUMBER";
          break;
        default:
          kind = "INT";
          break;
      }
    }
    if (field.is_repeated() && !field.is_map() &&
        field.cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
      note = note.empty() ? "repeat the flag for more" : absl::StrCat(note, "; repeat for more");
    }
    absl::StrAppend(out, "  --", path, " ", kind, "\n");
    std::vector<std::string> lines;
    if (!comment.empty()) lines = absl::StrSplit(comment, '\n');
    if (!note.empty()) lines.push_back(absl::StrCat("(", note, ")"));
    for (const std::string& line : lines) absl::StrAppend(out, "        ", line, "\n");
  }
}

}  // namespace

absl::Status SetFieldFromText(absl::string_view flag, absl::string_view text,
                              const FieldDescriptor& field, Message* message) {
  const Reflection* reflection = message->GetReflection();
  const bool repeated = field.is_repeated();
  auto bad = [&](absl::string_view what) {
    return Usage(flag, absl::StrCat("\"", text, "\" is not ", what));
  };
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string value(text);
      repeated ? reflection->AddString(message, &field, value)
               : reflection->SetString(message, &field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t value;
      if (!absl::SimpleAtoi(text, &value)) return bad("a 32-bit integer");
      repeated ? reflection->AddInt32(message, &field, value)
               : reflection->SetInt32(message, &field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t value;
      if (!absl::SimpleAtoi(text, &value)) return bad("an integer");
      repeated ? reflection->AddInt64(message, &field, value)
               : reflection->SetInt64(message, &field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t value;
      if (!absl::SimpleAtoi(text, &value)) return bad("a non-negative 32-bit integer");
      repeated ? reflection->AddUInt32(message, &field, value)
               : reflection->SetUInt32(message, &field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t value;
      if (!absl::SimpleAtoi(text, &value)) return bad("a non-negative integer");
      repeated ? reflection->AddUInt64(message, &field, value)
               : reflection->SetUInt64(message, &field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      double value;
      if (!absl::SimpleAtod(text, &value)) return bad("a number");
      repeated ? reflection->AddDouble(message, &field, value)
               : reflection->SetDouble(message, &field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_FLOAT: {
      float value;
      if (!absl::SimpleAtof(text, &value)) return bad("a number");
      repeated ? reflection->AddFloat(message, &field, value)
               : reflection->SetFloat(message, &field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool value;
      if (!absl::SimpleAtob(text, &value)) return bad("true or false");
      repeated ? reflection->AddBool(message, &field, value)
               : reflection->SetBool(message, &field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const google::protobuf::EnumDescriptor& type = *field.enum_type();
      const google::protobuf::EnumValueDescriptor* value = FindEnumValue(type, text);
      int number;
      if (value == nullptr && absl::SimpleAtoi(text, &number)) {
        value = type.FindValueByNumber(number);
      }
      if (value == nullptr) return bad(absl::StrCat("one of ", EnumNames(type)));
      repeated ? reflection->AddEnumValue(message, &field, value->number())
               : reflection->SetEnumValue(message, &field, value->number());
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      if (field.is_map()) return Usage(flag, "a map field: set it with --json");
      const absl::string_view json = absl::StripLeadingAsciiWhitespace(text);
      if (!IsLeafMessage(field) && (absl::StartsWith(json, "{") || absl::StartsWith(json, "["))) {
        // A message, or (repeated) a list of them or one more, as proto JSON:
        // --principal.bindings='[{"role":"ROLE_VIEWER","unit":"units/H40"}]'.
        const bool list = absl::StartsWith(json, "[");
        if (list && !repeated) return bad("a message in proto JSON ({...})");
        std::unique_ptr<Message> holder(message->New());
        absl::Status status =
            ParseJsonMessage(absl::StrCat("{\"", field.name(), "\":", repeated && !list ? "[" : "",
                                          json, repeated && !list ? "]" : "", "}"),
                             holder.get());
        if (!status.ok()) {
          return Usage(flag, absl::StrCat("not a ", field.message_type()->full_name(),
                                          repeated ? " list" : "",
                                          " in proto JSON: ", std::string(status.message())));
        }
        const Reflection* from = holder->GetReflection();
        if (!repeated) {
          reflection->MutableMessage(message, &field)->MergeFrom(from->GetMessage(*holder, &field));
        } else {
          for (int i = 0; i < from->FieldSize(*holder, &field); ++i) {
            reflection->AddMessage(message, &field)
                ->CopyFrom(from->GetRepeatedMessage(*holder, &field, i));
          }
        }
        return absl::OkStatus();
      }
      if (!IsLeafMessage(field)) {
        return Usage(flag, absl::StrCat(repeated ? "a list of messages: give it as proto JSON, "
                                                   "'[{...}, ...]', or use --json"
                                                 : "a message: set its fields as --",
                                        repeated ? ""
                                                 : absl::StrCat(flag.substr(2), ".FIELD (",
                                                                FieldNames(*field.message_type()),
                                                                ") or use --json")));
      }
      Message* value = repeated ? reflection->AddMessage(message, &field)
                                : reflection->MutableMessage(message, &field);
      return ParseLeafMessage(flag, text, field, value);
    }
  }
  return Usage(flag, "unsupported field type");
}

absl::Status BuildRequest(const std::vector<std::string>& args, Message* request) {
  request->Clear();
  // --json first, whatever its position.
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    std::string json_arg;
    if (arg == "--json") {
      if (i + 1 >= args.size()) return Usage("--json", "needs a value: '{...}' or @FILE");
      json_arg = args[++i];
    } else if (absl::ConsumePrefix(&arg, "--json=")) {
      json_arg = std::string(arg);
    } else {
      continue;
    }
    absl::StatusOr<std::string> json = ReadJsonArgument(json_arg);
    if (!json.ok()) return json.status();
    absl::Status status = ParseJsonMessage(*json, request);
    if (!status.ok()) {
      return Usage("--json", absl::StrCat("not a ", request->GetDescriptor()->full_name(),
                                          " in proto JSON: ", std::string(status.message())));
    }
  }

  const Descriptor& type = *request->GetDescriptor();
  const FieldDescriptor* positional = PositionalField(type);
  bool positional_seen = false;
  std::set<const FieldDescriptor*> repeated_seen;  // Flags replace a list from --json.
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg == "--json") {
      ++i;
      continue;
    }
    if (absl::StartsWith(arg, "--json=")) continue;
    if (!absl::StartsWith(arg, "--")) {
      if (positional == nullptr || positional_seen) {
        return Usage(absl::StrCat("\"", arg, "\""),
                     positional == nullptr ? "unexpected argument: this command takes flags only"
                                           : absl::StrCat("unexpected argument: only one ",
                                                          positional->name(), " may be given"));
      }
      positional_seen = true;
      request->GetReflection()->SetString(request, positional, std::string(arg));
      continue;
    }
    absl::string_view body = arg.substr(2);
    std::string flag(arg);
    std::optional<std::string> value;
    if (size_t eq = body.find('='); eq != absl::string_view::npos) {
      value = std::string(body.substr(eq + 1));
      body = body.substr(0, eq);
      flag = absl::StrCat("--", body);
    }
    // Walk the dotted path down to the field.
    Message* message = request;
    const FieldDescriptor* field = nullptr;
    std::vector<absl::string_view> path = absl::StrSplit(body, '.');
    for (size_t p = 0; p < path.size(); ++p) {
      field = FindField(*message->GetDescriptor(), path[p]);
      if (field == nullptr) {
        std::vector<std::string> known = FlagNames(type);
        for (const std::string& global : GlobalFlagNames()) known.push_back(global);
        return Usage(flag,
                     absl::StrCat("unknown flag", DidYouMean(flag, known), ": ",
                                  message->GetDescriptor()->name(), " has no field \"", path[p],
                                  "\" (fields: ", FieldNames(*message->GetDescriptor()), ")"));
      }
      if (p + 1 == path.size()) break;
      if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || field->is_repeated() ||
          IsLeafMessage(*field)) {
        return Usage(
            flag, absl::StrCat("unknown flag: ", field->name(), " has no fields to set by name"));
      }
      message = message->GetReflection()->MutableMessage(message, field);
    }
    if (!value.has_value()) {
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_BOOL) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return Usage(flag, "needs a value");
      }
    }
    if (field->is_repeated() && repeated_seen.insert(field).second) {
      message->GetReflection()->ClearField(message, field);
    }
    absl::Status status = SetFieldFromText(flag, *value, *field, message);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

std::vector<std::string> FlagNames(const Descriptor& request) {
  std::vector<std::string> names;
  for (absl::string_view line : absl::StrSplit(FlagsHelp(request), '\n')) {
    if (!absl::ConsumePrefix(&line, "  --")) continue;
    names.push_back(absl::StrCat("--", line.substr(0, line.find(' '))));
  }
  return names;
}

std::string FlagsHelp(const Descriptor& request) {
  std::string out;
  AppendFlagsHelp(request, "", 0, &out);
  return out;
}

}  // namespace d06::ctl
