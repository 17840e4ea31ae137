#include "server/d06d/server.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "server/core/core.h"
#include "server/api/core_methods.h"
#include "server/api/grpc_services.h"
#include "server/domain/timeliness.h"
#include "storage/status_macros.h"
#include "storage/store.h"

namespace d06 {
namespace {

// How long Shutdown() lets in-flight calls finish before cancelling them.
constexpr absl::Duration kShutdownGrace = absl::Seconds(10);

class ServerImpl final : public Server {
 public:
  ServerImpl(std::unique_ptr<Store> store, const ServerOptions& options)
      : store_(std::move(store)),
        core_(store_.get(),
              CoreOptions{options.due_soon_days,
                          options.clock ? options.clock : Clock::System()}),
        methods_(api::NewCoreMethodTable(&core_)),
        services_(api::NewGrpcServices(*methods_)) {}

  ~ServerImpl() override { Shutdown(); }

  absl::Status Serve(const std::string& address) {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    grpc::ServerBuilder builder;
    builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port_);
    for (const auto& service : services_) builder.RegisterService(service.get());
    grpc_ = builder.BuildAndStart();
    if (grpc_ == nullptr || port_ == 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot listen on ", address, " (in use, or not a host:port)"));
    }
    return absl::OkStatus();
  }

  int port() const override { return port_; }

  void Shutdown() override {
    {
      absl::MutexLock lock(&mu_);
      if (shutting_down_) {
        mu_.Await(absl::Condition(&stopped_));
        return;
      }
      shutting_down_ = true;
    }
    if (grpc_) {
      grpc_->GetHealthCheckService()->Shutdown();
      grpc_->Shutdown(absl::ToChronoTime(absl::Now() + kShutdownGrace));
    }
    // Every handler has returned and every call is answered (queued writes finish on the
    // still-running writer thread) before RocksDB closes under them.
    if (grpc_) grpc_->Wait();
    store_.reset();
    absl::MutexLock lock(&mu_);
    stopped_ = true;
  }

  void Wait() override {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&stopped_));
  }

 private:
  std::unique_ptr<Store> store_;
  Core core_;
  std::unique_ptr<api::MethodTable> methods_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<grpc::Server> grpc_;
  int port_ = 0;
  absl::Mutex mu_;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerOptions& options) {
  if (options.data_dir.empty()) return absl::InvalidArgumentError("--data_dir is required");
  RETURN_IF_ERROR(ValidateDueSoonDays(options.due_soon_days));
  std::error_code error;
  std::filesystem::create_directories(options.data_dir, error);
  if (error) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create data directory ", options.data_dir, ": ", error.message()));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, Store::Open({options.data_dir}));
  auto server = std::make_unique<ServerImpl>(std::move(store), options);
  RETURN_IF_ERROR(server->Serve(options.listen_address));
  return server;
}

}  // namespace d06
