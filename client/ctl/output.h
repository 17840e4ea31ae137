// How d06ctl prints responses, for any message type of any pool:
//   table (default): a list response (one repeated message field, and next_page_token)
//     and a summary print as tables that fit the terminal (client/ctl/table.h: curated
//     columns, -o wide, --columns, --sort-by); any other response prints "field: value"
//     lines (nested fields by dotted path, unset fields left out; the top-level name left
//     out when the response has one field only).
//     Dates print as dd/MM/yyyy, times in +07:00 (Asia/Ho_Chi_Minh), enums without prefix.
//   wide: the table with more columns.
//   json: proto JSON exactly as the Connect face answers it (json_util's defaults:
//     lowerCamelCase names, enums by full name, int64 as strings), indented.
//   yaml: the same data with proto field names (enums by full name, times RFC 3339,
//     int64 as numbers), as YAML with every string double-quoted.
// Pure functions; thread-safe.
#ifndef D06_CLIENT_CTL_OUTPUT_H_
#define D06_CLIENT_CTL_OUTPUT_H_

#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/ctl/table.h"
#include "google/protobuf/message.h"

namespace d06::ctl {

enum class OutputFormat { kTable, kWide, kJson, kYaml };

// "table", "wide", "json" or "yaml"; INVALID_ARGUMENT otherwise.
absl::StatusOr<OutputFormat> ParseOutputFormat(absl::string_view text);

// Prints `message` per `format`; `table` tunes tables (its `wide` is set from the format).
// INVALID_ARGUMENT for a --columns or --sort-by key the table does not have.
absl::Status PrintMessage(const google::protobuf::Message& message, OutputFormat format,
                          std::ostream& out, const TableOptions& table = {});

// Whether a field prints as one value (a table cell or one "field: value" line): a
// scalar, an enum, a date, a time, a duration or a field mask.
bool IsSingleValueField(const google::protobuf::FieldDescriptor& field);

// The repeated message field of a list response (see above), or null.
const google::protobuf::FieldDescriptor* ListField(const google::protobuf::Descriptor& type);

// Proto JSON on one line (as -o json, unindented).
std::string ToJsonLine(const google::protobuf::Message& message);

// A date message as dd/MM/yyyy; "" for the zero date.
std::string FormatDate(const google::protobuf::Message& date);
// A google.protobuf.Timestamp in +07:00, e.g. "2025-07-01T08:00:00+07:00"; "" when unset.
std::string FormatTime(const google::protobuf::Message& timestamp);
// One field of `message` as table text (repeated values joined with ", ").
std::string FormatField(const google::protobuf::Message& message,
                        const google::protobuf::FieldDescriptor& field);

}  // namespace d06::ctl

#endif  // D06_CLIENT_CTL_OUTPUT_H_
