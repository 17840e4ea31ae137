#include "server/api/core_methods.h"

#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/build_info.h"
#include "common/log.h"
#include "d06/v1/access.grpc.pb.h"
#include "d06/v1/admin.grpc.pb.h"
#include "d06/v1/report.grpc.pb.h"
#include "d06/v1/task.grpc.pb.h"
#include "d06/v1/unit.grpc.pb.h"
#include "d06/v1/watch.grpc.pb.h"
#include "server/domain/authorization.h"
#include "server/domain/errors.h"

namespace d06::api {
namespace {

template <typename Request, typename Response>
using Handler = std::function<void(const Caller&, const Request&, Response*, Done)>;

// A read answers at once.
template <typename Request, typename Response>
Handler<Request, Response> Read(Core* core,
                                absl::Status (Core::*read)(const Caller&, const Request&, Response*)
                                    const) {
  return [core, read](const Caller& caller, const Request& request, Response* response,
                      const Done& done) { done((core->*read)(caller, request, response)); };
}

// A write answers from the store's writer thread once durable.
template <typename Request, typename Response>
Handler<Request, Response> Write(Core* core, void (Core::*write)(const Caller&, const Request&,
                                                                 Response*, Core::Done)) {
  return [core, write](const Caller& caller, const Request& request, Response* response,
                       Done done) { (core->*write)(caller, request, response, std::move(done)); };
}

// An assignment transition; `more` copies the action's own fields (reason, note, percent).
template <typename Request, typename Response>
Handler<Request, Response> Transit(
    Core* core, Action action,
    std::function<void(const Request&, TransitionArgs*)> more = nullptr) {
  return [core, action, more = std::move(more)](const Caller& caller, const Request& request,
                                                Response* response, Done done) {
    TransitionArgs args;
    args.action = action;
    args.name = request.name();
    args.etag = request.etag();
    args.request_id = request.request_id();
    if (more) more(request, &args);
    core->Transition(caller, request, args, response->mutable_assignment(), std::move(done));
  };
}

template <typename Request>
void CopyReason(const Request& request, TransitionArgs* args) {
  args->reason = request.reason();
}

// A CSV export: runs on a stream worker, each chunk one Response message. A client that
// takes nothing for `stall` is cancelled, so that it cannot hold the worker (and the
// export slot) for as long as it keeps its connection.
template <typename Request, typename Response>
std::function<void(const Caller&, const Request&, StreamWriter*, Done)> Export(
    Core* core, StreamWorkers* streams, absl::Duration stall,
    absl::Status (Core::*run)(const Caller&, Request, const Core::ExportWrite&) const) {
  return [core, streams, stall, run](const Caller& caller, const Request& request,
                                     StreamWriter* out, Done done) {
    auto work = [core, run, caller, request, out, stall, done]() {
      done((core->*run)(caller, request, [out, stall](std::string chunk) {
        Response message;
        message.set_data(std::move(chunk));
        switch (out->WriteBefore(message, absl::Now() + stall)) {
          case StreamWriter::Written::kWritten:
            return true;
          case StreamWriter::Written::kGone:
            return false;
          case StreamWriter::Written::kTimedOut:
            break;
        }
        log::Warning(absl::StrCat(Response::descriptor()->name(), ": the client took nothing for ",
                                  absl::FormatDuration(stall), "; export cancelled"));
        out->Cancel();
        return false;
      }));
    };
    if (!streams->Run(work)) {
      done(Error(absl::StatusCode::kResourceExhausted, v1::reason::kTooManyExports,
                 "the server runs as many exports as it takes; retry in a moment"));
    }
  };
}

// EventService.Watch: runs on a thread of `watches` until the client goes.
std::function<void(const Caller&, const v1::WatchRequest&, StreamWriter*, Done)> Watch(
    WatchHub* hub, StreamWorkers* watches) {
  return [hub, watches](const Caller& caller, const v1::WatchRequest& request, StreamWriter* out,
                        Done done) {
    auto work = [hub, request, out, done,
                 reader = Restricted(caller) ? caller.principal : nullptr]() {
      WatchHub::Stream stream;
      stream.send = [out](const v1::WatchResponse& response, absl::Time deadline) {
        switch (out->WriteBefore(response, deadline)) {
          case StreamWriter::Written::kWritten:
            return WatchHub::Stream::Sent::kSent;
          case StreamWriter::Written::kGone:
            return WatchHub::Stream::Sent::kGone;
          case StreamWriter::Written::kTimedOut:
            break;
        }
        return WatchHub::Stream::Sent::kTimedOut;
      };
      stream.gone = [out] { return out->Gone(); };
      // The feed of a restricted caller is the events its bindings cover.
      done(hub->Watch(request, stream, reader));
    };
    if (!watches->Run(work)) {
      done(Error(absl::StatusCode::kResourceExhausted, v1::reason::kTooManyWatchers,
                 "the server has as many watchers as it takes; retry in a moment"));
    }
  };
}

}  // namespace

std::unique_ptr<MethodTable> NewCoreMethodTable(Core* core, const StreamRunners& runners) {
  StreamWorkers* const streams = runners.exports;
  using namespace v1;  // NOLINT(google-build-using-namespace): the request/response names
  auto t = std::make_unique<MethodTable>(std::vector<std::string>{
      UnitService::service_full_name(), TaskService::service_full_name(),
      ReportService::service_full_name(), EventService::service_full_name(),
      AccessService::service_full_name(), AdminService::service_full_name()});
  const std::string units = std::string(UnitService::service_full_name()) + ".";
  const std::string tasks = std::string(TaskService::service_full_name()) + ".";
  t->AddUnary(units + "CreateUnit", Write(core, &Core::CreateUnit));
  t->AddUnary(units + "GetUnit", Read(core, &Core::GetUnit));
  t->AddUnary(units + "ListUnits", Read(core, &Core::ListUnits));
  t->AddUnary(units + "UpdateUnit", Write(core, &Core::UpdateUnit));
  t->AddUnary(units + "RenameUnit", Write(core, &Core::RenameUnit));
  t->AddUnary(units + "MoveUnit", Write(core, &Core::MoveUnit));
  t->AddUnary(units + "MergeUnits", Write(core, &Core::MergeUnits));
  t->AddUnary(units + "DissolveUnit", Write(core, &Core::DissolveUnit));
  t->AddUnary(tasks + "CreateTask", Write(core, &Core::CreateTask));
  t->AddUnary(tasks + "GetTask", Read(core, &Core::GetTask));
  t->AddUnary(tasks + "ListTasks", Read(core, &Core::ListTasks));
  t->AddUnary(tasks + "UpdateTask", Write(core, &Core::UpdateTask));
  t->AddUnary(tasks + "CancelTask", Write(core, &Core::CancelTask));
  t->AddUnary(tasks + "CreateAssignment", Write(core, &Core::CreateAssignment));
  t->AddUnary(tasks + "GetAssignment", Read(core, &Core::GetAssignment));
  t->AddUnary(tasks + "ListAssignments", Read(core, &Core::ListAssignments));
  t->AddUnary(tasks + "ListTaskEvents", Read(core, &Core::ListTaskEvents));
  t->AddUnary(tasks + "StartAssignment",
              Transit<StartAssignmentRequest, StartAssignmentResponse>(core, Action::kStart));
  t->AddUnary(tasks + "ReportAssignmentProgress",
              Transit<ReportAssignmentProgressRequest, ReportAssignmentProgressResponse>(
                  core, Action::kReportProgress,
                  [](const ReportAssignmentProgressRequest& request, TransitionArgs* args) {
                    args->percent = request.percent();
                    args->note = request.note();
                    if (request.has_kpi_value()) args->kpi_value = request.kpi_value();
                  }));
  t->AddUnary(
      tasks + "SubmitAssignment",
      Transit<SubmitAssignmentRequest, SubmitAssignmentResponse>(
          core, Action::kSubmit, [](const SubmitAssignmentRequest& request, TransitionArgs* args) {
            args->note = request.note();
            if (request.has_kpi_value()) args->kpi_value = request.kpi_value();
          }));
  t->AddUnary(tasks + "ApproveAssignment",
              Transit<ApproveAssignmentRequest, ApproveAssignmentResponse>(core, Action::kApprove));
  t->AddUnary(tasks + "ReturnAssignment",
              Transit<ReturnAssignmentRequest, ReturnAssignmentResponse>(
                  core, Action::kReturn, CopyReason<ReturnAssignmentRequest>));
  t->AddUnary(tasks + "DeclineAssignment",
              Transit<DeclineAssignmentRequest, DeclineAssignmentResponse>(
                  core, Action::kDecline, CopyReason<DeclineAssignmentRequest>));
  t->AddUnary(tasks + "RevokeAssignment",
              Transit<RevokeAssignmentRequest, RevokeAssignmentResponse>(
                  core, Action::kRevoke, CopyReason<RevokeAssignmentRequest>));
  t->AddUnary(tasks + "ReopenAssignment",
              Transit<ReopenAssignmentRequest, ReopenAssignmentResponse>(
                  core, Action::kReopen, CopyReason<ReopenAssignmentRequest>));
  t->AddUnary(tasks + "RequestExtension", Write(core, &Core::RequestExtension));
  t->AddUnary(tasks + "ApproveExtension", Write(core, &Core::ApproveExtension));
  t->AddUnary(tasks + "RefuseExtension", Write(core, &Core::RefuseExtension));
  t->AddUnary(tasks + "UrgeAssignment", Write(core, &Core::UrgeAssignment));
  t->AddUnary(tasks + "ListUrges", Read(core, &Core::ListUrges));
  t->AddUnary(tasks + "FilePeriodReport", Write(core, &Core::FilePeriodReport));
  t->AddUnary(tasks + "ListPeriodReports", Read(core, &Core::ListPeriodReports));
  t->AddStream<ExportAssignmentsRequest, ExportAssignmentsResponse>(
      tasks + "ExportAssignments",
      Export<ExportAssignmentsRequest, ExportAssignmentsResponse>(
          core, streams, runners.stall_timeout, &Core::ExportAssignments));
  const std::string reports = std::string(ReportService::service_full_name()) + ".";
  t->AddUnary(reports + "GetSummary", Read(core, &Core::GetSummary));
  t->AddStream<ExportSummaryRequest, ExportSummaryResponse>(
      reports + "ExportSummary", Export<ExportSummaryRequest, ExportSummaryResponse>(
                                     core, streams, runners.stall_timeout, &Core::ExportSummary));
  t->AddStream<WatchRequest, WatchResponse>(
      std::string(EventService::service_full_name()) + ".Watch",
      Watch(runners.hub, runners.watches));
  const std::string access = std::string(AccessService::service_full_name()) + ".";
  t->AddUnary(access + "CreatePrincipal", Write(core, &Core::CreatePrincipal));
  t->AddUnary(access + "GetPrincipal", Read(core, &Core::GetPrincipal));
  t->AddUnary(access + "ListPrincipals", Read(core, &Core::ListPrincipals));
  t->AddUnary(access + "UpdatePrincipal", Write(core, &Core::UpdatePrincipal));
  t->AddUnary(access + "CreateToken", Write(core, &Core::CreateToken));
  t->AddUnary(access + "ListTokens", Read(core, &Core::ListTokens));
  t->AddUnary(access + "RevokeToken", Write(core, &Core::RevokeToken));
  t->AddUnary(access + "WhoAmI", Read(core, &Core::WhoAmI));
  // The build is the transport's (common/build_info.h), not the core's: answered here.
  t->AddUnary(access + "GetServerInfo", Handler<GetServerInfoRequest, GetServerInfoResponse>(
                                            [](const Caller&, const GetServerInfoRequest&,
                                               GetServerInfoResponse* response, const Done& done) {
                                              response->set_version(BuildVersion());
                                              response->set_revision(BuildRevision());
                                              done(absl::OkStatus());
                                            }));
  const std::string admin = std::string(AdminService::service_full_name()) + ".";
  t->AddUnary(admin + "CreateBackup", Read(core, &Core::CreateBackup));
  t->AddUnary(admin + "ListBackups", Read(core, &Core::ListBackups));
  t->AddUnary(admin + "VerifyBackup", Read(core, &Core::VerifyBackup));
  t->AddUnary(admin + "DeleteBackup", Read(core, &Core::DeleteBackup));
  t->AddUnary(admin + "CheckConsistency", Read(core, &Core::CheckConsistency));
  t->Seal();
  return t;
}

}  // namespace d06::api
