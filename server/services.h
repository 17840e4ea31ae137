// The gRPC services: thin adapters that read the caller from metadata, call d06::Core and
// map its status (server/grpc_status.h). Callback API: a mutation's reactor finishes from
// the store's writer thread once the change is durable; no handler thread blocks.
#ifndef D06_SERVER_SERVICES_H_
#define D06_SERVER_SERVICES_H_

#include "d06/v1/task.grpc.pb.h"
#include "d06/v1/unit.grpc.pb.h"
#include "server/core.h"

namespace d06 {

// The request metadata key naming the actor until authentication exists.
inline constexpr char kActorMetadataKey[] = "x-d06-actor";

class UnitServiceImpl final : public v1::UnitService::CallbackService {
 public:
  explicit UnitServiceImpl(Core* core) : core_(core) {}

  grpc::ServerUnaryReactor* CreateUnit(grpc::CallbackServerContext* ctx,
                                       const v1::CreateUnitRequest* request,
                                       v1::CreateUnitResponse* response) override;
  grpc::ServerUnaryReactor* GetUnit(grpc::CallbackServerContext* ctx,
                                    const v1::GetUnitRequest* request,
                                    v1::GetUnitResponse* response) override;
  grpc::ServerUnaryReactor* ListUnits(grpc::CallbackServerContext* ctx,
                                      const v1::ListUnitsRequest* request,
                                      v1::ListUnitsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateUnit(grpc::CallbackServerContext* ctx,
                                       const v1::UpdateUnitRequest* request,
                                       v1::UpdateUnitResponse* response) override;

 private:
  Core* const core_;
};

class TaskServiceImpl final : public v1::TaskService::CallbackService {
 public:
  explicit TaskServiceImpl(Core* core) : core_(core) {}

  grpc::ServerUnaryReactor* CreateTask(grpc::CallbackServerContext* ctx,
                                       const v1::CreateTaskRequest* request,
                                       v1::CreateTaskResponse* response) override;
  grpc::ServerUnaryReactor* GetTask(grpc::CallbackServerContext* ctx,
                                    const v1::GetTaskRequest* request,
                                    v1::GetTaskResponse* response) override;
  grpc::ServerUnaryReactor* ListTasks(grpc::CallbackServerContext* ctx,
                                      const v1::ListTasksRequest* request,
                                      v1::ListTasksResponse* response) override;
  grpc::ServerUnaryReactor* UpdateTask(grpc::CallbackServerContext* ctx,
                                       const v1::UpdateTaskRequest* request,
                                       v1::UpdateTaskResponse* response) override;
  grpc::ServerUnaryReactor* CancelTask(grpc::CallbackServerContext* ctx,
                                       const v1::CancelTaskRequest* request,
                                       v1::CancelTaskResponse* response) override;
  grpc::ServerUnaryReactor* CreateAssignment(grpc::CallbackServerContext* ctx,
                                             const v1::CreateAssignmentRequest* request,
                                             v1::CreateAssignmentResponse* response) override;
  grpc::ServerUnaryReactor* GetAssignment(grpc::CallbackServerContext* ctx,
                                          const v1::GetAssignmentRequest* request,
                                          v1::GetAssignmentResponse* response) override;
  grpc::ServerUnaryReactor* ListAssignments(grpc::CallbackServerContext* ctx,
                                            const v1::ListAssignmentsRequest* request,
                                            v1::ListAssignmentsResponse* response) override;
  grpc::ServerUnaryReactor* StartAssignment(grpc::CallbackServerContext* ctx,
                                            const v1::StartAssignmentRequest* request,
                                            v1::StartAssignmentResponse* response) override;
  grpc::ServerUnaryReactor* ReportAssignmentProgress(
      grpc::CallbackServerContext* ctx, const v1::ReportAssignmentProgressRequest* request,
      v1::ReportAssignmentProgressResponse* response) override;
  grpc::ServerUnaryReactor* SubmitAssignment(grpc::CallbackServerContext* ctx,
                                             const v1::SubmitAssignmentRequest* request,
                                             v1::SubmitAssignmentResponse* response) override;
  grpc::ServerUnaryReactor* ApproveAssignment(grpc::CallbackServerContext* ctx,
                                              const v1::ApproveAssignmentRequest* request,
                                              v1::ApproveAssignmentResponse* response) override;
  grpc::ServerUnaryReactor* ReturnAssignment(grpc::CallbackServerContext* ctx,
                                             const v1::ReturnAssignmentRequest* request,
                                             v1::ReturnAssignmentResponse* response) override;
  grpc::ServerUnaryReactor* DeclineAssignment(grpc::CallbackServerContext* ctx,
                                              const v1::DeclineAssignmentRequest* request,
                                              v1::DeclineAssignmentResponse* response) override;
  grpc::ServerUnaryReactor* RevokeAssignment(grpc::CallbackServerContext* ctx,
                                             const v1::RevokeAssignmentRequest* request,
                                             v1::RevokeAssignmentResponse* response) override;
  grpc::ServerUnaryReactor* ReopenAssignment(grpc::CallbackServerContext* ctx,
                                             const v1::ReopenAssignmentRequest* request,
                                             v1::ReopenAssignmentResponse* response) override;
  grpc::ServerUnaryReactor* ListTaskEvents(grpc::CallbackServerContext* ctx,
                                           const v1::ListTaskEventsRequest* request,
                                           v1::ListTaskEventsResponse* response) override;

 private:
  Core* const core_;
};

}  // namespace d06

#endif  // D06_SERVER_SERVICES_H_
