#include "server/services.h"

#include <string>
#include <utility>

#include "server/grpc_status.h"

namespace d06 {
namespace {

CallContext ContextOf(const grpc::CallbackServerContext* ctx) {
  const auto& metadata = ctx->client_metadata();
  auto it = metadata.find(kActorMetadataKey);
  return CallContext{it == metadata.end() ? "anonymous"
                                          : std::string(it->second.data(), it->second.size())};
}

// A read: answer at once.
grpc::ServerUnaryReactor* Reply(grpc::CallbackServerContext* ctx, const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

// A write: `start` hands the core a callback that answers once the change is durable.
template <typename Start>
grpc::ServerUnaryReactor* Write(grpc::CallbackServerContext* ctx, Start start) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  start(ContextOf(ctx), [reactor](absl::Status status) { reactor->Finish(ToGrpcStatus(status)); });
  return reactor;
}

// The fields every transition request shares.
template <typename Request>
TransitionArgs ArgsOf(Action action, const Request& request) {
  TransitionArgs args;
  args.action = action;
  args.name = request.name();
  args.etag = request.etag();
  args.request_id = request.request_id();
  return args;
}

template <typename Request, typename Response>
grpc::ServerUnaryReactor* Transit(Core* core, grpc::CallbackServerContext* ctx,
                                  const Request& request, Response* response,
                                  TransitionArgs args) {
  return Write(ctx, [&](const CallContext& call, Core::Done done) {
    core->Transition(call, request, args, response->mutable_assignment(), std::move(done));
  });
}

}  // namespace

// UnitService ---------------------------------------------------------------------------

grpc::ServerUnaryReactor* UnitServiceImpl::CreateUnit(grpc::CallbackServerContext* ctx,
                                                      const v1::CreateUnitRequest* request,
                                                      v1::CreateUnitResponse* response) {
  return Write(ctx, [&](const CallContext& call, Core::Done done) {
    core_->CreateUnit(call, *request, response, std::move(done));
  });
}

grpc::ServerUnaryReactor* UnitServiceImpl::GetUnit(grpc::CallbackServerContext* ctx,
                                                   const v1::GetUnitRequest* request,
                                                   v1::GetUnitResponse* response) {
  return Reply(ctx, core_->GetUnit(*request, response));
}

grpc::ServerUnaryReactor* UnitServiceImpl::ListUnits(grpc::CallbackServerContext* ctx,
                                                     const v1::ListUnitsRequest* request,
                                                     v1::ListUnitsResponse* response) {
  return Reply(ctx, core_->ListUnits(*request, response));
}

grpc::ServerUnaryReactor* UnitServiceImpl::UpdateUnit(grpc::CallbackServerContext* ctx,
                                                      const v1::UpdateUnitRequest* request,
                                                      v1::UpdateUnitResponse* response) {
  return Write(ctx, [&](const CallContext& call, Core::Done done) {
    core_->UpdateUnit(call, *request, response, std::move(done));
  });
}

// TaskService ---------------------------------------------------------------------------

grpc::ServerUnaryReactor* TaskServiceImpl::CreateTask(grpc::CallbackServerContext* ctx,
                                                      const v1::CreateTaskRequest* request,
                                                      v1::CreateTaskResponse* response) {
  return Write(ctx, [&](const CallContext& call, Core::Done done) {
    core_->CreateTask(call, *request, response, std::move(done));
  });
}

grpc::ServerUnaryReactor* TaskServiceImpl::GetTask(grpc::CallbackServerContext* ctx,
                                                   const v1::GetTaskRequest* request,
                                                   v1::GetTaskResponse* response) {
  return Reply(ctx, core_->GetTask(*request, response));
}

grpc::ServerUnaryReactor* TaskServiceImpl::ListTasks(grpc::CallbackServerContext* ctx,
                                                     const v1::ListTasksRequest* request,
                                                     v1::ListTasksResponse* response) {
  return Reply(ctx, core_->ListTasks(*request, response));
}

grpc::ServerUnaryReactor* TaskServiceImpl::UpdateTask(grpc::CallbackServerContext* ctx,
                                                      const v1::UpdateTaskRequest* request,
                                                      v1::UpdateTaskResponse* response) {
  return Write(ctx, [&](const CallContext& call, Core::Done done) {
    core_->UpdateTask(call, *request, response, std::move(done));
  });
}

grpc::ServerUnaryReactor* TaskServiceImpl::CancelTask(grpc::CallbackServerContext* ctx,
                                                      const v1::CancelTaskRequest* request,
                                                      v1::CancelTaskResponse* response) {
  return Write(ctx, [&](const CallContext& call, Core::Done done) {
    core_->CancelTask(call, *request, response, std::move(done));
  });
}

grpc::ServerUnaryReactor* TaskServiceImpl::CreateAssignment(
    grpc::CallbackServerContext* ctx, const v1::CreateAssignmentRequest* request,
    v1::CreateAssignmentResponse* response) {
  return Write(ctx, [&](const CallContext& call, Core::Done done) {
    core_->CreateAssignment(call, *request, response, std::move(done));
  });
}

grpc::ServerUnaryReactor* TaskServiceImpl::GetAssignment(grpc::CallbackServerContext* ctx,
                                                         const v1::GetAssignmentRequest* request,
                                                         v1::GetAssignmentResponse* response) {
  return Reply(ctx, core_->GetAssignment(*request, response));
}

grpc::ServerUnaryReactor* TaskServiceImpl::ListAssignments(
    grpc::CallbackServerContext* ctx, const v1::ListAssignmentsRequest* request,
    v1::ListAssignmentsResponse* response) {
  return Reply(ctx, core_->ListAssignments(*request, response));
}

grpc::ServerUnaryReactor* TaskServiceImpl::StartAssignment(
    grpc::CallbackServerContext* ctx, const v1::StartAssignmentRequest* request,
    v1::StartAssignmentResponse* response) {
  return Transit(core_, ctx, *request, response, ArgsOf(Action::kStart, *request));
}

grpc::ServerUnaryReactor* TaskServiceImpl::ReportAssignmentProgress(
    grpc::CallbackServerContext* ctx, const v1::ReportAssignmentProgressRequest* request,
    v1::ReportAssignmentProgressResponse* response) {
  TransitionArgs args = ArgsOf(Action::kReportProgress, *request);
  args.percent = request->percent();
  args.note = request->note();
  return Transit(core_, ctx, *request, response, std::move(args));
}

grpc::ServerUnaryReactor* TaskServiceImpl::SubmitAssignment(
    grpc::CallbackServerContext* ctx, const v1::SubmitAssignmentRequest* request,
    v1::SubmitAssignmentResponse* response) {
  TransitionArgs args = ArgsOf(Action::kSubmit, *request);
  args.note = request->note();
  return Transit(core_, ctx, *request, response, std::move(args));
}

grpc::ServerUnaryReactor* TaskServiceImpl::ApproveAssignment(
    grpc::CallbackServerContext* ctx, const v1::ApproveAssignmentRequest* request,
    v1::ApproveAssignmentResponse* response) {
  return Transit(core_, ctx, *request, response, ArgsOf(Action::kApprove, *request));
}

namespace {

template <typename Request>
TransitionArgs WithReason(Action action, const Request& request) {
  TransitionArgs args = ArgsOf(action, request);
  args.reason = request.reason();
  return args;
}

}  // namespace

grpc::ServerUnaryReactor* TaskServiceImpl::ReturnAssignment(
    grpc::CallbackServerContext* ctx, const v1::ReturnAssignmentRequest* request,
    v1::ReturnAssignmentResponse* response) {
  return Transit(core_, ctx, *request, response, WithReason(Action::kReturn, *request));
}

grpc::ServerUnaryReactor* TaskServiceImpl::DeclineAssignment(
    grpc::CallbackServerContext* ctx, const v1::DeclineAssignmentRequest* request,
    v1::DeclineAssignmentResponse* response) {
  return Transit(core_, ctx, *request, response, WithReason(Action::kDecline, *request));
}

grpc::ServerUnaryReactor* TaskServiceImpl::RevokeAssignment(
    grpc::CallbackServerContext* ctx, const v1::RevokeAssignmentRequest* request,
    v1::RevokeAssignmentResponse* response) {
  return Transit(core_, ctx, *request, response, WithReason(Action::kRevoke, *request));
}

grpc::ServerUnaryReactor* TaskServiceImpl::ReopenAssignment(
    grpc::CallbackServerContext* ctx, const v1::ReopenAssignmentRequest* request,
    v1::ReopenAssignmentResponse* response) {
  return Transit(core_, ctx, *request, response, WithReason(Action::kReopen, *request));
}

grpc::ServerUnaryReactor* TaskServiceImpl::ListTaskEvents(grpc::CallbackServerContext* ctx,
                                                          const v1::ListTaskEventsRequest* request,
                                                          v1::ListTaskEventsResponse* response) {
  return Reply(ctx, core_->ListTaskEvents(*request, response));
}

}  // namespace d06
