#include "client/ctl/output.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "client/ctl/catalog.h"
#include "client/ctl/display_width.h"
#include "google/protobuf/util/json_util.h"

namespace d06::ctl {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

bool IsType(const Descriptor& type, absl::string_view full_name) {
  return type.full_name() == full_name;
}

std::string FormatDouble(double value) { return absl::StrFormat("%.10g", value); }

std::string FormatValue(const Message& message, const FieldDescriptor& field, int index) {
  const Reflection* r = message.GetReflection();
  const bool rep = field.is_repeated();
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return rep ? r->GetRepeatedString(message, &field, index) : r->GetString(message, &field);
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(rep ? r->GetRepeatedInt32(message, &field, index)
                              : r->GetInt32(message, &field));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(rep ? r->GetRepeatedInt64(message, &field, index)
                              : r->GetInt64(message, &field));
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(rep ? r->GetRepeatedUInt32(message, &field, index)
                              : r->GetUInt32(message, &field));
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(rep ? r->GetRepeatedUInt64(message, &field, index)
                              : r->GetUInt64(message, &field));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return FormatDouble(rep ? r->GetRepeatedDouble(message, &field, index)
                              : r->GetDouble(message, &field));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return FormatDouble(rep ? r->GetRepeatedFloat(message, &field, index)
                              : r->GetFloat(message, &field));
    case FieldDescriptor::CPPTYPE_BOOL:
      return (rep ? r->GetRepeatedBool(message, &field, index) : r->GetBool(message, &field))
                 ? "true"
                 : "false";
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* value =
          rep ? r->GetRepeatedEnum(message, &field, index) : r->GetEnum(message, &field);
      return value->number() == 0 ? "" : ShortEnumName(*value);
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Message& value =
          rep ? r->GetRepeatedMessage(message, &field, index) : r->GetMessage(message, &field);
      const Descriptor& type = *value.GetDescriptor();
      if (IsDateType(type)) return FormatDate(value);
      if (IsType(type, "google.protobuf.Timestamp")) return FormatTime(value);
      const Reflection* vr = value.GetReflection();
      if (IsType(type, "google.protobuf.Duration")) {
        const double seconds =
            static_cast<double>(vr->GetInt64(value, type.FindFieldByName("seconds"))) +
            vr->GetInt32(value, type.FindFieldByName("nanos")) / 1e9;
        return absl::StrCat(FormatDouble(seconds), "s");
      }
      if (IsType(type, "google.protobuf.FieldMask")) {
        const FieldDescriptor* paths = type.FindFieldByName("paths");
        std::vector<std::string> list;
        for (int i = 0; i < vr->FieldSize(value, paths); ++i) {
          list.push_back(vr->GetRepeatedString(value, paths, i));
        }
        return absl::StrJoin(list, ",");
      }
      return value.ShortDebugString();
    }
  }
  return "";
}

// Appends "path: value" lines of every set field of `message`.
void CollectLines(const Message& message, const std::string& prefix,
                  std::vector<std::pair<std::string, std::string>>* lines) {
  std::vector<const FieldDescriptor*> fields;
  message.GetReflection()->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    const std::string path = absl::StrCat(prefix, field->name());
    if (IsSingleValueField(*field)) {
      std::string value = FormatField(message, *field);
      if (!value.empty()) lines->emplace_back(path, std::move(value));
      continue;
    }
    const Reflection* r = message.GetReflection();
    if (field->is_repeated()) {
      for (int i = 0; i < r->FieldSize(message, field); ++i) {
        CollectLines(r->GetRepeatedMessage(message, field, i), absl::StrCat(path, "[", i, "]."),
                     lines);
      }
    } else {
      CollectLines(r->GetMessage(message, field), path + ".", lines);
    }
  }
}

void PrintFields(const Message& message, std::ostream& out) {
  std::vector<std::pair<std::string, std::string>> lines;
  const Descriptor& type = *message.GetDescriptor();
  if (type.field_count() == 1 && type.field(0)->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
      !type.field(0)->is_repeated() && !IsSingleValueField(*type.field(0))) {
    CollectLines(message.GetReflection()->GetMessage(message, type.field(0)), "", &lines);
  } else {
    CollectLines(message, "", &lines);
  }
  int key_width = 0;
  for (const auto& line : lines) key_width = std::max(key_width, DisplayWidth(line.first) + 1);
  const std::string indent(key_width + 1, ' ');
  for (const auto& [key, value] : lines) {
    out << PadToWidth(key + ":", key_width) << " "
        << absl::StrReplaceAll(value, {{"\n", "\n" + indent}}) << "\n";
  }
}

// A YAML double-quoted scalar (UTF-8 kept, control characters escaped).
std::string YamlString(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppend(&out, absl::StrFormat("\\x%02x", c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string YamlScalar(const Message& message, const FieldDescriptor& field, int index) {
  const Reflection* r = message.GetReflection();
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      if (field.type() == FieldDescriptor::TYPE_BYTES) {
        return YamlString(absl::Base64Escape(FormatValue(message, field, index)));
      }
      return YamlString(FormatValue(message, field, index));
    case FieldDescriptor::CPPTYPE_ENUM:
      return (field.is_repeated() ? r->GetRepeatedEnum(message, &field, index)
                                  : r->GetEnum(message, &field))
          ->name();
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Message& value = field.is_repeated() ? r->GetRepeatedMessage(message, &field, index)
                                                 : r->GetMessage(message, &field);
      if (IsType(*value.GetDescriptor(), "google.protobuf.Timestamp")) {
        return YamlString(ToJsonLine(value).substr(1, ToJsonLine(value).size() - 2));
      }
      return YamlString(FormatValue(message, field, index));
    }
    default:
      return FormatValue(message, field, index);
  }
}

bool IsYamlLeaf(const FieldDescriptor& field) {
  if (field.cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return true;
  const Descriptor& type = *field.message_type();
  return IsType(type, "google.protobuf.Timestamp") || IsType(type, "google.protobuf.Duration") ||
         IsType(type, "google.protobuf.FieldMask");
}

void PrintYaml(const Message& message, int indent, bool first_dash, std::ostream& out) {
  std::vector<const FieldDescriptor*> fields;
  const Reflection* r = message.GetReflection();
  r->ListFields(message, &fields);
  if (fields.empty()) {
    out << "{}\n";
    return;
  }
  bool first = true;
  for (const FieldDescriptor* field : fields) {
    const std::string pad = (first && first_dash) ? "" : std::string(indent, ' ');
    first = false;
    out << pad << field->name() << ":";
    if (field->is_map() || (field->is_repeated() && !IsYamlLeaf(*field))) {
      out << "\n";
      for (int i = 0; i < r->FieldSize(message, field); ++i) {
        out << std::string(indent, ' ') << "- ";
        PrintYaml(r->GetRepeatedMessage(message, field, i), indent + 2, true, out);
      }
    } else if (field->is_repeated()) {
      out << "\n";
      for (int i = 0; i < r->FieldSize(message, field); ++i) {
        out << std::string(indent, ' ') << "- " << YamlScalar(message, *field, i) << "\n";
      }
    } else if (!IsYamlLeaf(*field)) {
      out << "\n" << std::string(indent + 2, ' ');
      PrintYaml(r->GetMessage(message, field), indent + 2, true, out);
    } else {
      out << " " << YamlScalar(message, *field, -1) << "\n";
    }
  }
}

}  // namespace

absl::StatusOr<OutputFormat> ParseOutputFormat(absl::string_view text) {
  if (text == "table") return OutputFormat::kTable;
  if (text == "wide") return OutputFormat::kWide;
  if (text == "json") return OutputFormat::kJson;
  if (text == "yaml") return OutputFormat::kYaml;
  return absl::InvalidArgumentError(
      absl::StrCat("-o: \"", text, "\" is not one of table, wide, json, yaml"));
}

bool IsSingleValueField(const FieldDescriptor& field) {
  if (field.is_map()) return false;
  if (field.cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return true;
  const Descriptor& type = *field.message_type();
  return !field.is_repeated() &&
         (IsDateType(type) || IsType(type, "google.protobuf.Timestamp") ||
          IsType(type, "google.protobuf.Duration") || IsType(type, "google.protobuf.FieldMask"));
}

const FieldDescriptor* ListField(const Descriptor& type) {
  const FieldDescriptor* list = nullptr;
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor* field = type.field(i);
    if (field->name() == "next_page_token") continue;
    if (list != nullptr || !field->is_repeated() ||
        field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || field->is_map()) {
      return nullptr;
    }
    list = field;
  }
  return list;
}

std::string ToJsonLine(const Message& message) {
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json);
  return json;
}

std::string FormatDate(const Message& date) {
  const Descriptor& type = *date.GetDescriptor();
  const Reflection* r = date.GetReflection();
  const int year = r->GetInt32(date, type.FindFieldByName("year"));
  const int month = r->GetInt32(date, type.FindFieldByName("month"));
  const int day = r->GetInt32(date, type.FindFieldByName("day"));
  if (year == 0 && month == 0 && day == 0) return "";
  return absl::StrFormat("%02d/%02d/%04d", day, month, year);
}

std::string FormatTime(const Message& timestamp) {
  const Descriptor& type = *timestamp.GetDescriptor();
  const Reflection* r = timestamp.GetReflection();
  const int64_t seconds = r->GetInt64(timestamp, type.FindFieldByName("seconds"));
  const int32_t nanos = r->GetInt32(timestamp, type.FindFieldByName("nanos"));
  if (seconds == 0 && nanos == 0) return "";
  static const absl::TimeZone kVietnam = absl::FixedTimeZone(7 * 60 * 60);
  return absl::FormatTime("%Y-%m-%dT%H:%M:%S%Ez",
                          absl::FromUnixSeconds(seconds) + absl::Nanoseconds(nanos), kVietnam);
}

std::string FormatField(const Message& message, const FieldDescriptor& field) {
  if (!field.is_repeated()) return FormatValue(message, field, -1);
  std::vector<std::string> values;
  for (int i = 0; i < message.GetReflection()->FieldSize(message, &field); ++i) {
    values.push_back(FormatValue(message, field, i));
  }
  return absl::StrJoin(values, ", ");
}

absl::Status PrintMessage(const Message& message, OutputFormat format, std::ostream& out,
                          const TableOptions& table) {
  switch (format) {
    case OutputFormat::kJson: {
      // The Connect face's JSON (server/api/http_transport.cc prints with the defaults).
      google::protobuf::util::JsonPrintOptions options;
      options.add_whitespace = true;
      std::string json;
      (void)google::protobuf::util::MessageToJsonString(message, &json, options);
      out << json;
      if (json.empty() || json.back() != '\n') out << "\n";
      return absl::OkStatus();
    }
    case OutputFormat::kYaml:
      PrintYaml(message, 0, false, out);
      return absl::OkStatus();
    case OutputFormat::kTable:
    case OutputFormat::kWide: {
      TableOptions options = table;
      options.wide = format == OutputFormat::kWide;
      if (IsSummaryType(*message.GetDescriptor())) {
        return PrintSummaryTable(message, options, out);
      }
      const FieldDescriptor* list = ListField(*message.GetDescriptor());
      if (list != nullptr) return PrintListTable(message, *list, options, out);
      PrintFields(message, out);
      return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

}  // namespace d06::ctl
