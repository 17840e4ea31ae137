// The file downloads of the HTTP face (http_transport.h): `GET /download/summary.xlsx?...`
// and the like run an export RPC through the method table and answer its bytes as a
// file. This file has the pieces that need no transport: the route, the request from the
// query string, the file's name, and the StreamWriter that gathers the export's chunks.
//
//   GET /download/summary.{xlsx|csv}?<fields of ExportSummaryRequest>
//   GET /download/assignments.{xlsx|csv}?<fields of ExportAssignmentsRequest>
//
// Query parameters are the request's fields by their proto JSON names (lowerCamelCase)
// or .proto names (snake_case); a repeated field repeats its parameter; enums by value
// name, with or without the enum's prefix, any case (CHILD_UNIT,
// SUMMARY_GROUP_BY_CHILD_UNIT); a d06.v1.Date as yyyy-MM-dd or dd/MM/yyyy. The extension
// sets the request's `format`. Pure functions and a thread-safe writer.
#ifndef D06_SERVER_API_HTTP_DOWNLOAD_H_
#define D06_SERVER_API_HTTP_DOWNLOAD_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/message.h"
#include "server/api/method_table.h"

namespace d06::api {

// A download route: the export method it runs, the request's format and the file's
// media type.
struct Download {
  std::string method;  // e.g. "d06.v1.ReportService.ExportSummary"
  bool xlsx = false;
  std::string content_type;
};

// The download of `path` (without the leading "/", e.g. "download/summary.xlsx"); false
// when it is not one.
bool FindDownload(absl::string_view path, Download* download);

// Fills `request` (an export request) from the query's parameters and sets its `format`
// from the download. INVALID_ARGUMENT/MALFORMED_REQUEST naming the parameter and what it
// takes: a parameter that is no field of the request (the message lists those that are),
// a value its field does not take, a message field other than a date, or `format` that
// contradicts the extension.
absl::Status RequestFromQuery(const std::vector<std::pair<std::string, std::string>>& params,
                              const Download& download, google::protobuf::Message* request);

// The file's name: what it holds, the unit (summary) or task ("tat-ca" for every task
// in scope), and the date (the report date, else `today`, yyyy-MM-dd), e.g.
// "bao-cao_H29_2026-12-04.xlsx", "nhiem-vu_tat-ca_2026-12-04.csv". Only letters, digits,
// '.', '_' and '-'.
std::string DownloadFileName(const Download& download, const google::protobuf::Message& request,
                             absl::string_view today);

// Gathers the `data` of an export's messages, up to `max_bytes`; beyond, the call is
// cancelled (too_large() says so). Cancel() (the HTTP side giving up) makes the export
// stop at its next chunk.
class GatheringWriter final : public StreamWriter {
 public:
  explicit GatheringWriter(size_t max_bytes) : max_bytes_(max_bytes) {}
  bool Write(const Message& message) override;
  Written WriteBefore(const Message& message, absl::Time deadline) override;
  bool Gone() override;
  void Cancel() override;

  bool too_large() const;
  // The bytes gathered (moved out).
  std::string Take();

 private:
  const size_t max_bytes_;
  mutable absl::Mutex mu_;
  std::string data_ ABSL_GUARDED_BY(mu_);
  bool gone_ ABSL_GUARDED_BY(mu_) = false;
  bool too_large_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace d06::api

#endif  // D06_SERVER_API_HTTP_DOWNLOAD_H_
