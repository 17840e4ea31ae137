#include "server/api/http_download.h"

#include <optional>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/dates.h"
#include "common/log.h"
#include "d06/v1/api_names.h"
#include "d06/v1/common.pb.h"
#include "google/protobuf/descriptor.h"
#include "server/domain/errors.h"

namespace d06::api {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Reflection;

constexpr char kXlsxType[] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
constexpr char kCsvType[] = "text/csv; charset=utf-8";

absl::Status BadParameter(absl::string_view message) {
  return Error(absl::StatusCode::kInvalidArgument, v1::reason::kMalformedRequest, message);
}

const FieldDescriptor* FieldOf(const Descriptor& type, absl::string_view name) {
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor* field = type.field(i);
    if (field->json_name() == name || field->name() == name) return field;
  }
  return nullptr;
}

// The value of `enum_type` named `text`: its full name or without the common prefix of
// its values (the part of *_UNSPECIFIED before UNSPECIFIED), any case; or its number.
const EnumValueDescriptor* EnumValueOf(const google::protobuf::EnumDescriptor& enum_type,
                                       absl::string_view text) {
  const std::string upper = absl::AsciiStrToUpper(text);
  if (const EnumValueDescriptor* v = enum_type.FindValueByName(upper)) return v;
  absl::string_view prefix = enum_type.value(0)->name();
  if (absl::ConsumeSuffix(&prefix, "UNSPECIFIED")) {
    if (const EnumValueDescriptor* v = enum_type.FindValueByName(absl::StrCat(prefix, upper))) {
      return v;
    }
  }
  int number = 0;
  if (absl::SimpleAtoi(text, &number)) return enum_type.FindValueByNumber(number);
  return nullptr;
}

// Why `text` is not a value of `field`; empty when it was set (or added) on `message`.
std::string SetFromText(const FieldDescriptor& field, absl::string_view text,
                        google::protobuf::Message* message) {
  const Reflection& r = *message->GetReflection();
  const bool add = field.is_repeated();
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      add ? r.AddString(message, &field, std::string(text))
          : r.SetString(message, &field, std::string(text));
      return "";
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t v = 0;
      if (!absl::SimpleAtoi(text, &v)) return "a whole number";
      add ? r.AddInt32(message, &field, v) : r.SetInt32(message, &field, v);
      return "";
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t v = 0;
      if (!absl::SimpleAtoi(text, &v)) return "a whole number";
      add ? r.AddInt64(message, &field, v) : r.SetInt64(message, &field, v);
      return "";
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool v = false;
      if (!absl::SimpleAtob(text, &v)) return "true or false";
      add ? r.AddBool(message, &field, v) : r.SetBool(message, &field, v);
      return "";
    }
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      double v = 0;
      if (!absl::SimpleAtod(text, &v)) return "a number";
      add ? r.AddDouble(message, &field, v) : r.SetDouble(message, &field, v);
      return "";
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const EnumValueDescriptor* v = EnumValueOf(*field.enum_type(), text);
      if (v == nullptr || v->number() == 0) {
        std::vector<std::string> names;
        for (int i = 1; i < field.enum_type()->value_count(); ++i) {
          names.push_back(field.enum_type()->value(i)->name());
        }
        return absl::StrCat("one of ", absl::StrJoin(names, ", "));
      }
      add ? r.AddEnum(message, &field, v) : r.SetEnum(message, &field, v);
      return "";
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      if (field.message_type()->full_name() != v1::Date::descriptor()->full_name() || add) {
        return "a field the download does not take (use the RPC)";
      }
      std::optional<v1::Date> date;
      if (absl::StatusOr<v1::Date> iso = ParseIsoDate(text); iso.ok()) {
        date = *iso;
      } else {
        date = ParseDateVn(text);
      }
      if (!date.has_value()) return "a date, yyyy-MM-dd or dd/MM/yyyy";
      r.MutableMessage(message, &field)->CopyFrom(*date);
      return "";
    }
    default:
      return "a field the download does not take (use the RPC)";
  }
}

// `text` with every character but letters, digits, '.' and '-' made '-'.
std::string FileNamePart(absl::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') c = '-';
  }
  return out;
}

}  // namespace

bool FindDownload(absl::string_view path, Download* download) {
  if (!absl::ConsumePrefix(&path, "download/")) return false;
  if (absl::ConsumeSuffix(&path, ".xlsx")) {
    download->xlsx = true;
    download->content_type = kXlsxType;
  } else if (absl::ConsumeSuffix(&path, ".csv")) {
    download->xlsx = false;
    download->content_type = kCsvType;
  } else {
    return false;
  }
  if (path == "summary") {
    download->method = "d06.v1.ReportService.ExportSummary";
  } else if (path == "assignments") {
    download->method = "d06.v1.TaskService.ExportAssignments";
  } else {
    return false;
  }
  return true;
}

absl::Status RequestFromQuery(const std::vector<std::pair<std::string, std::string>>& params,
                              const Download& download, google::protobuf::Message* request) {
  const Descriptor& type = *request->GetDescriptor();
  const FieldDescriptor* format = type.FindFieldByName("format");
  std::set<const FieldDescriptor*> seen;
  for (const auto& [name, value] : params) {
    const FieldDescriptor* field = FieldOf(type, name);
    if (field == nullptr) {
      std::vector<std::string> names;
      for (int i = 0; i < type.field_count(); ++i) {
        if (type.field(i) != format) names.push_back(type.field(i)->json_name());
      }
      return BadParameter(absl::StrCat("the query parameters are the fields of ", type.name(), " (",
                                       absl::StrJoin(names, ", "), "); not ", Quote(name)));
    }
    if (!field->is_repeated() && !seen.insert(field).second) {
      return BadParameter(absl::StrCat("the parameter ", name, " is given twice"));
    }
    if (const std::string takes = SetFromText(*field, value, request); !takes.empty()) {
      return BadParameter(
          absl::StrCat("the parameter ", name, " must be ", takes, ", not ", Quote(value)));
    }
  }
  const int wanted = download.xlsx ? v1::EXPORT_FORMAT_XLSX : v1::EXPORT_FORMAT_CSV;
  const Reflection& r = *request->GetReflection();
  if (const int given = r.GetEnumValue(*request, format); given != 0 && given != wanted) {
    return BadParameter(absl::StrCat("the file's extension sets the format: format=",
                                     format->enum_type()->FindValueByNumber(given)->name(),
                                     " contradicts it"));
  }
  r.SetEnumValue(request, format, wanted);
  return absl::OkStatus();
}

std::string DownloadFileName(const Download& download, const google::protobuf::Message& request,
                             absl::string_view today) {
  const Descriptor& type = *request.GetDescriptor();
  const Reflection& r = *request.GetReflection();
  std::string what, who, when(today);
  if (const FieldDescriptor* unit = type.FindFieldByName("unit")) {
    what = "bao-cao";
    who = std::string(absl::StripPrefix(r.GetString(request, unit), "units/"));
    const auto& as_of =
        static_cast<const v1::Date&>(r.GetMessage(request, type.FindFieldByName("as_of")));
    if (!IsZeroDate(as_of)) when = FormatDate(as_of);
  } else {
    what = "nhiem-vu";
    who = std::string(
        absl::StripPrefix(r.GetString(request, type.FindFieldByName("parent")), "tasks/"));
    if (who.empty() || who == "-") who = "tat-ca";
  }
  return absl::StrCat(what, "_", FileNamePart(who), "_", FileNamePart(when),
                      download.xlsx ? ".xlsx" : ".csv");
}

bool DownloadWriter::Write(const Message& message) {
  return WriteBefore(message, absl::InfiniteFuture()) == Written::kWritten;
}

StreamWriter::Written DownloadWriter::WriteBefore(const Message& message, absl::Time deadline) {
  const Descriptor& type = *message.GetDescriptor();
  std::string data = message.GetReflection()->GetString(message, type.FindFieldByName("data"));
  const size_t size = data.size();
  switch (body_->Append(std::move(data), deadline)) {
    case HttpBodyStream::Appended::kAppended: {
      absl::MutexLock lock(&mu_);
      started_ = true;
      bytes_ += size;
      return Written::kWritten;
    }
    case HttpBodyStream::Appended::kTimedOut:
      return Written::kTimedOut;
    case HttpBodyStream::Appended::kGone:
      break;
  }
  return Written::kGone;
}

bool DownloadWriter::Gone() { return body_->gone(); }

void DownloadWriter::Cancel() { body_->Finish(/*complete=*/false); }

void DownloadWriter::End(absl::Status status) {
  size_t bytes = 0;
  {
    absl::MutexLock lock(&mu_);
    ended_ = true;
    status_ = status;
    bytes = bytes_;
  }
  // (A client that went away, or one cancelled for stalling, is no failure of the export.)
  if (!status.ok() && bytes > 0 && !body_->gone()) {
    log::Warning(absl::StrCat("download: the export failed after ", bytes,
                              " bytes were sent; the transfer is broken off: ", status.ToString()));
  }
  body_->Finish(/*complete=*/status.ok());
}

bool DownloadWriter::AwaitStart(absl::Time deadline, bool* ended, absl::Status* status) {
  absl::MutexLock lock(&mu_);
  if (!mu_.AwaitWithDeadline(absl::Condition(this, &DownloadWriter::StartedOrEnded), deadline)) {
    return false;
  }
  *ended = ended_;
  *status = status_;
  return true;
}

}  // namespace d06::api
