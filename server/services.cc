#include "server/services.h"

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "d06/v1/task.grpc.pb.h"
#include "d06/v1/unit.grpc.pb.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/support/server_callback.h"
#include "server/grpc_status.h"
#include "server/domain/names.h"
#include "server/wire.h"

namespace d06 {
namespace {

absl::StatusOr<Caller> ContextOf(const grpc::CallbackServerContext* ctx) {
  const auto& metadata = ctx->client_metadata();
  auto it = metadata.find(kActorMetadataKey);
  absl::string_view actor;
  if (it != metadata.end()) actor = absl::string_view(it->second.data(), it->second.size());
  absl::StatusOr<std::string> checked =
      ActorFromMetadata(it == metadata.end() ? nullptr : &actor);
  if (!checked.ok()) return checked.status();
  return Caller{*std::move(checked)};
}

// How a method is answered: `done` is called once, at once for a read, from the store's
// writer thread for a write.
template <typename Request, typename Response>
using Handler = std::function<void(const Caller&, const Request&, Response*, Core::Done)>;

template <typename Request, typename Response>
Handler<Request, Response> Read(Core* core,
                                absl::Status (Core::*read)(const Caller&, const Request&,
                                                           Response*) const) {
  return [core, read](const Caller& caller, const Request& request, Response* response,
                      const Core::Done& done) { done((core->*read)(caller, request, response)); };
}

template <typename Request, typename Response>
Handler<Request, Response> Write(Core* core, void (Core::*write)(const Caller&, const Request&,
                                                                 Response*, Core::Done)) {
  return
      [core, write](const Caller& call, const Request& request, Response* response,
                    Core::Done done) { (core->*write)(call, request, response, std::move(done)); };
}

// An assignment transition; `more` copies the action's own fields (reason, note, percent)
// from the request.
template <typename Request, typename Response>
Handler<Request, Response> Transit(
    Core* core, Action action,
    std::function<void(const Request&, TransitionArgs*)> more = nullptr) {
  return [core, action, more = std::move(more)](const Caller& call, const Request& request,
                                                Response* response, Core::Done done) {
    TransitionArgs args;
    args.action = action;
    args.name = request.name();
    args.etag = request.etag();
    args.request_id = request.request_id();
    if (more) more(request, &args);
    core->Transition(call, request, args, response->mutable_assignment(), std::move(done));
  };
}

template <typename Request>
void CopyReason(const Request& request, TransitionArgs* args) {
  args->reason = request.reason();
}

// A generated service whose methods are all served from raw bytes (see services.h).
template <typename Generated>
class RawService final : public Generated {
 public:
  explicit RawService(const char* full_name)
      : service_(google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(full_name)) {
  }

  template <typename Request, typename Response>
  void Serve(const std::string& method_name, Handler<Request, Response> handler) {
    const google::protobuf::MethodDescriptor* method =
        service_ == nullptr ? nullptr : service_->FindMethodByName(method_name);
    if (method == nullptr || method->input_type() != Request::descriptor() ||
        method->output_type() != Response::descriptor()) {
      Die("has no method " + method_name + " with these request and response types");
    }
    ++served_;
    this->MarkMethodRawCallback(
        method->index(),
        new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
            [handler = std::move(handler)](grpc::CallbackServerContext* ctx,
                                           const grpc::ByteBuffer* in, grpc::ByteBuffer* out) {
              return Answer(ctx, *in, out, handler);
            }));
  }

  // Every method must be served: one left out would answer UNIMPLEMENTED.
  void CheckServesAll() const {
    if (service_ == nullptr || served_ != service_->method_count()) {
      Die("does not serve all of its methods");
    }
  }

 private:
  // One call's request and response, alive until the call is answered.
  template <typename Request, typename Response>
  struct Call {
    Request request;
    Response response;
  };

  template <typename Request, typename Response>
  static grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* ctx,
                                          const grpc::ByteBuffer& in, grpc::ByteBuffer* out,
                                          const Handler<Request, Response>& handler) {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    auto call = std::make_shared<Call<Request, Response>>();
    grpc::Slice bytes;
    if (in.Valid() && !in.DumpToSingleSlice(&bytes).ok()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::INTERNAL, "cannot read the request"));
      return reactor;
    }
    absl::Status parsed =
        ParseRequest(absl::string_view(reinterpret_cast<const char*>(bytes.begin()), bytes.size()),
                     &call->request);
    if (!parsed.ok()) {
      reactor->Finish(ToGrpcStatus(parsed));
      return reactor;
    }
    absl::StatusOr<Caller> caller = ContextOf(ctx);
    if (!caller.ok()) {
      reactor->Finish(ToGrpcStatus(caller.status()));
      return reactor;
    }
    handler(*caller, call->request, &call->response,
            [call, reactor, out](const absl::Status& status) {
              if (status.ok()) {
                bool own_buffer;
                grpc::Status serialized = grpc::SerializationTraits<Response>::Serialize(
                    call->response, out, &own_buffer);
                if (!serialized.ok()) return reactor->Finish(serialized);
              }
              reactor->Finish(ToGrpcStatus(status));
            });
    return reactor;
  }

  [[noreturn]] void Die(const std::string& what) const {
    std::fprintf(stderr, "d06d: service %s %s\n",
                 service_ == nullptr ? "?" : service_->full_name().c_str(), what.c_str());
    std::abort();
  }

  const google::protobuf::ServiceDescriptor* const service_;
  int served_ = 0;
};

}  // namespace

std::unique_ptr<grpc::Service> NewUnitService(Core* core) {
  auto s =
      std::make_unique<RawService<v1::UnitService::Service>>(v1::UnitService::service_full_name());
  s->Serve("CreateUnit", Write(core, &Core::CreateUnit));
  s->Serve("GetUnit", Read(core, &Core::GetUnit));
  s->Serve("ListUnits", Read(core, &Core::ListUnits));
  s->Serve("UpdateUnit", Write(core, &Core::UpdateUnit));
  s->CheckServesAll();
  return s;
}

std::unique_ptr<grpc::Service> NewTaskService(Core* core) {
  using namespace v1;  // NOLINT(google-build-using-namespace): the request/response names
  auto s = std::make_unique<RawService<TaskService::Service>>(TaskService::service_full_name());
  s->Serve("CreateTask", Write(core, &Core::CreateTask));
  s->Serve("GetTask", Read(core, &Core::GetTask));
  s->Serve("ListTasks", Read(core, &Core::ListTasks));
  s->Serve("UpdateTask", Write(core, &Core::UpdateTask));
  s->Serve("CancelTask", Write(core, &Core::CancelTask));
  s->Serve("CreateAssignment", Write(core, &Core::CreateAssignment));
  s->Serve("GetAssignment", Read(core, &Core::GetAssignment));
  s->Serve("ListAssignments", Read(core, &Core::ListAssignments));
  s->Serve("ListTaskEvents", Read(core, &Core::ListTaskEvents));
  s->Serve("StartAssignment",
           Transit<StartAssignmentRequest, StartAssignmentResponse>(core, Action::kStart));
  s->Serve("ReportAssignmentProgress",
           Transit<ReportAssignmentProgressRequest, ReportAssignmentProgressResponse>(
               core, Action::kReportProgress,
               [](const ReportAssignmentProgressRequest& request, TransitionArgs* args) {
                 args->percent = request.percent();
                 args->note = request.note();
               }));
  s->Serve("SubmitAssignment", Transit<SubmitAssignmentRequest, SubmitAssignmentResponse>(
                                   core, Action::kSubmit,
                                   [](const SubmitAssignmentRequest& request,
                                      TransitionArgs* args) { args->note = request.note(); }));
  s->Serve("ApproveAssignment",
           Transit<ApproveAssignmentRequest, ApproveAssignmentResponse>(core, Action::kApprove));
  s->Serve("ReturnAssignment", Transit<ReturnAssignmentRequest, ReturnAssignmentResponse>(
                                   core, Action::kReturn, CopyReason<ReturnAssignmentRequest>));
  s->Serve("DeclineAssignment", Transit<DeclineAssignmentRequest, DeclineAssignmentResponse>(
                                    core, Action::kDecline, CopyReason<DeclineAssignmentRequest>));
  s->Serve("RevokeAssignment", Transit<RevokeAssignmentRequest, RevokeAssignmentResponse>(
                                   core, Action::kRevoke, CopyReason<RevokeAssignmentRequest>));
  s->Serve("ReopenAssignment", Transit<ReopenAssignmentRequest, ReopenAssignmentResponse>(
                                   core, Action::kReopen, CopyReason<ReopenAssignmentRequest>));
  s->CheckServesAll();
  return s;
}

}  // namespace d06
