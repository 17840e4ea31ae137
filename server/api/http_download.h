// The file downloads of the HTTP face (http_transport.h): `GET /download/summary.xlsx?...`
// and the like run an export RPC through the method table and answer its bytes as a
// file. This file has the pieces that need no transport: the route, the request from the
// query string, the file's name, and the StreamWriter that streams the export's chunks
// into the answer's body.
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
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/message.h"
#include "server/api/http_server.h"
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

// The StreamWriter of a download: each export message's `data` goes to the HTTP body as
// it comes. The worker answers the header once the first bytes are in or the export has
// ended (AwaitStart), so that an error before the file is a proper error answer; an
// error after it breaks the transfer (HttpBodyStream::Finish(false)), so the client sees
// a failed download instead of a short file.
class DownloadWriter final : public StreamWriter {
 public:
  explicit DownloadWriter(std::shared_ptr<HttpBodyStream> body) : body_(std::move(body)) {}
  bool Write(const Message& message) override;
  Written WriteBefore(const Message& message, absl::Time deadline) override;
  bool Gone() override;
  // The export is to stop (the client took nothing for too long, or no header could be
  // sent): the body ends broken.
  void Cancel() override;

  // The export's end (its done callback).
  void End(absl::Status status);
  // Waits until the first bytes are written or the export has ended, up to `deadline`
  // (false: neither). *ended: the export has ended, with *status.
  bool AwaitStart(absl::Time deadline, bool* ended, absl::Status* status);

 private:
  bool StartedOrEnded() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return started_ || ended_; }

  const std::shared_ptr<HttpBodyStream> body_;
  mutable absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace d06::api

#endif  // D06_SERVER_API_HTTP_DOWNLOAD_H_
