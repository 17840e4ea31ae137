#include "server/api/grpc_services.h"

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "d06/v1/api_names.h"
#include "grpc/grpc_security_constants.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/impl/codegen/server_callback_handlers.h"
#include "grpcpp/impl/rpc_service_method.h"
#include "grpcpp/support/server_callback.h"
#include "server/api/grpc_status.h"
#include "server/api/wire.h"

namespace d06::api {
namespace {

using grpc::ByteBuffer;

// Parses the request bytes of `method` into *request.
absl::Status ReadRequest(const Method& method, const ByteBuffer* in,
                         std::unique_ptr<Message>* request) {
  *request = method.NewRequest();
  grpc::Slice bytes;
  if (in->Valid() && !in->DumpToSingleSlice(&bytes).ok()) {
    return absl::InternalError("cannot read the request");
  }
  return ParseRequest(absl::string_view(reinterpret_cast<const char*>(bytes.begin()), bytes.size()),
                      request->get());
}

// What the call's client sent about who it is, and its deadline (the strings live in the
// call's context).
class ContextOf {
 public:
  explicit ContextOf(const grpc::CallbackServerContext* ctx) : peer_(ctx->peer()) {
    const auto& metadata = ctx->client_metadata();
    auto find = [&metadata](const char* key) -> std::optional<absl::string_view> {
      auto it = metadata.find(key);
      if (it == metadata.end()) return std::nullopt;
      return absl::string_view(it->second.data(), it->second.size());
    };
    context_.actor_text = find(v1::kActorMetadataKey);
    context_.actor_binary = find(v1::kActorBinMetadataKey);
    context_.authorization = find(v1::kAuthorizationMetadataKey);
    context_.impersonate_text = find(v1::kImpersonateMetadataKey);
    context_.impersonate_binary = find(v1::kImpersonateBinMetadataKey);
    context_.peer = peer_;
    context_.transport = CallContext::Transport::kGrpc;
    // gRPC's "no deadline" is the time point's maximum; anything beyond a day is as good.
    const auto deadline = ctx->deadline();
    if (deadline < std::chrono::system_clock::now() + std::chrono::hours(24)) {
      context_.deadline = absl::FromChrono(deadline);
    }
    // The client certificate of a TLS connection (x509_pem_cert, the leaf), then the
    // chain gRPC kept, whose order and content vary (it may hold the CA and not the
    // leaf): the verifier takes the first certificate as the client's and the rest as
    // untrusted intermediates.
    if (std::shared_ptr<const grpc::AuthContext> auth = ctx->auth_context()) {
      auto first = [&auth](const char* property) -> absl::string_view {
        std::vector<grpc::string_ref> values = auth->FindPropertyValues(property);
        if (values.empty()) return {};
        return absl::string_view(values.front().data(), values.front().size());
      };
      if (absl::string_view leaf = first(GRPC_X509_PEM_CERT_PROPERTY_NAME); !leaf.empty()) {
        certificate_ = absl::StrCat(leaf, "\n", first(GRPC_X509_PEM_CERT_CHAIN_PROPERTY_NAME));
      }
    }
    context_.client_certificate = certificate_;
  }
  ContextOf(const ContextOf&) = delete;
  ContextOf& operator=(const ContextOf&) = delete;
  const CallContext& get() const { return context_; }

 private:
  const std::string peer_;
  std::string certificate_;
  CallContext context_;
};

grpc::ServerUnaryReactor* Unary(const MethodTable& table, const Method& method,
                                grpc::CallbackServerContext* ctx, const ByteBuffer* in,
                                ByteBuffer* out) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  std::unique_ptr<Message> request;
  if (absl::Status s = ReadRequest(method, in, &request); !s.ok()) {
    table.Refused(CallContext::Transport::kGrpc, Refusal::kMalformed);
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  }
  // Request and response live until the call is answered.
  std::shared_ptr<Message> shared_request(std::move(request));
  std::shared_ptr<Message> response(method.NewResponse());
  ContextOf context(ctx);
  table.Call(method, context.get(), *shared_request, response.get(),
             [shared_request, response, reactor, out](const absl::Status& status) {
               if (status.ok()) {
                 bool own_buffer;
                 grpc::Status serialized =
                     grpc::SerializationTraits<Message>::Serialize(*response, out, &own_buffer);
                 if (!serialized.ok()) return reactor->Finish(serialized);
               }
               reactor->Finish(ToGrpcStatus(status));
             });
  return reactor;
}

// One server-streaming call: the handler's messages queue here and go out one write at a
// time; Write blocks while kMaxQueued are waiting. Deletes itself when gRPC is done.
class StreamCall final : public grpc::ServerWriteReactor<ByteBuffer>, public StreamWriter {
 public:
  static constexpr size_t kMaxQueued = 16;

  explicit StreamCall(grpc::CallbackServerContext* ctx) : ctx_(ctx) {}

  bool Write(const Message& message) override {
    return WriteBefore(message, absl::InfiniteFuture()) == Written::kWritten;
  }

  Written WriteBefore(const Message& message, absl::Time deadline) override {
    ByteBuffer buffer;
    bool own_buffer;
    if (!grpc::SerializationTraits<Message>::Serialize(message, &buffer, &own_buffer).ok()) {
      return Written::kGone;
    }
    absl::MutexLock lock(&mu_);
    if (!mu_.AwaitWithDeadline(absl::Condition(this, &StreamCall::HasRoomOrGone), deadline)) {
      return Written::kTimedOut;
    }
    if (gone_) return Written::kGone;
    queue_.push_back(std::move(buffer));
    if (queue_.size() == 1) StartWrite(&queue_.front());
    return Written::kWritten;
  }

  bool Gone() override {
    absl::MutexLock lock(&mu_);
    return gone_;
  }

  // gRPC then runs OnCancel, and completes the write its client is not taking with
  // ok = false; the call finishes once the handler has ended.
  void Cancel() override { ctx_->TryCancel(); }

  // The handler's end: finishes once every queued message is written.
  void End(const absl::Status& status) {
    std::optional<grpc::Status> finish;
    {
      absl::MutexLock lock(&mu_);
      final_status_ = ToGrpcStatus(status);
      ended_ = true;
      if (queue_.empty() || gone_) finish = TakeFinish();
    }
    if (finish) Finish(*finish);  // last touch: OnDone may delete this at once
  }

  void OnWriteDone(bool ok) override {
    std::optional<grpc::Status> finish;
    {
      absl::MutexLock lock(&mu_);
      queue_.pop_front();
      if (!ok) gone_ = true;
      if (!gone_ && !queue_.empty()) {
        StartWrite(&queue_.front());
      } else if (ended_) {
        finish = TakeFinish();
      }
    }
    if (finish) Finish(*finish);  // last touch: OnDone may delete this at once
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    gone_ = true;
  }

  void OnDone() override { delete this; }

 private:
  bool HasRoomOrGone() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return gone_ || queue_.size() < kMaxQueued;
  }
  // The status to finish with, once: Finish is called after mu_ is released, since gRPC
  // may run OnDone (delete this) on another thread as soon as it is.
  std::optional<grpc::Status> TakeFinish() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return std::nullopt;
    finished_ = true;
    return final_status_;
  }

  grpc::CallbackServerContext* const ctx_;
  absl::Mutex mu_;
  std::deque<ByteBuffer> queue_ ABSL_GUARDED_BY(mu_);  // front: being written
  bool gone_ ABSL_GUARDED_BY(mu_) = false;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status final_status_ ABSL_GUARDED_BY(mu_);
};

grpc::ServerWriteReactor<ByteBuffer>* Stream(const MethodTable& table, const Method& method,
                                             grpc::CallbackServerContext* ctx,
                                             const ByteBuffer* in) {
  auto* call = new StreamCall(ctx);
  std::unique_ptr<Message> request;
  if (absl::Status s = ReadRequest(method, in, &request); !s.ok()) {
    table.Refused(CallContext::Transport::kGrpc, Refusal::kMalformed);
    call->End(s);
    return call;
  }
  std::shared_ptr<Message> shared_request(std::move(request));
  ContextOf context(ctx);
  table.CallStream(method, context.get(), *shared_request, call,
                   [call, shared_request](const absl::Status& status) { call->End(status); });
  return call;
}

// A service of the table, every method served from raw bytes.
class TableService final : public grpc::Service {
 public:
  TableService(const MethodTable& table, const google::protobuf::ServiceDescriptor& service) {
    for (int i = 0; i < service.method_count(); ++i) {
      const Method* method = table.Find(service.method(i)->full_name());
      // gRPC keeps the method's path as a pointer: it lives in paths_.
      const char* path =
          paths_
              .emplace_back(absl::StrCat("/", service.full_name(), "/", service.method(i)->name()))
              .c_str();
      if (method->server_streaming()) {
        AddMethod(new grpc::internal::RpcServiceMethod(
            path, grpc::internal::RpcMethod::SERVER_STREAMING, nullptr));
        MarkMethodRawCallback(
            i, new grpc::internal::CallbackServerStreamingHandler<ByteBuffer, ByteBuffer>(
                   [&table, method](grpc::CallbackServerContext* ctx, const ByteBuffer* in) {
                     return Stream(table, *method, ctx, in);
                   }));
      } else {
        AddMethod(new grpc::internal::RpcServiceMethod(path, grpc::internal::RpcMethod::NORMAL_RPC,
                                                       nullptr));
        MarkMethodRawCallback(i, new grpc::internal::CallbackUnaryHandler<ByteBuffer, ByteBuffer>(
                                     [&table, method](grpc::CallbackServerContext* ctx,
                                                      const ByteBuffer* in, ByteBuffer* out) {
                                       return Unary(table, *method, ctx, in, out);
                                     }));
      }
    }
  }

 private:
  std::deque<std::string> paths_;
};

// kPipelineWriteMethod: reads the request, writes, answers.
class PipelineWriteReactor final : public grpc::ServerGenericBidiReactor {
 public:
  explicit PipelineWriteReactor(const PipelineWrite& write) : write_(write) { StartRead(&in_); }
  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request"));
      return;
    }
    write_([this](absl::Status status) {
      if (status.ok()) {
        grpc::Slice empty("");  // an empty message; a default ByteBuffer is none at all
        out_ = ByteBuffer(&empty, 1);
        StartWriteAndFinish(&out_, grpc::WriteOptions(), grpc::Status::OK);
      } else {
        Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, std::string(status.message())));
      }
    });
  }
  void OnDone() override { delete this; }

 private:
  const PipelineWrite& write_;
  ByteBuffer in_;
  ByteBuffer out_;
};

class UnknownMethodService final : public grpc::CallbackGenericService {
 public:
  UnknownMethodService(const MethodTable& table, PipelineWrite pipeline_write)
      : table_(table), pipeline_write_(std::move(pipeline_write)) {}

  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* ctx) override {
    if (pipeline_write_ && ctx->method() == kPipelineWriteMethod) {
      return new PipelineWriteReactor(pipeline_write_);
    }
    table_.Refused(CallContext::Transport::kGrpc, Refusal::kUnknownMethod);
    class Reactor final : public grpc::ServerGenericBidiReactor {
     public:
      explicit Reactor(const std::string& method) {
        Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, absl::StrCat("no method ", method)));
      }
      void OnDone() override { delete this; }
    };
    return new Reactor(ctx->method());
  }

 private:
  const MethodTable& table_;
  const PipelineWrite pipeline_write_;
};

}  // namespace

std::unique_ptr<grpc::CallbackGenericService> NewUnknownMethodService(
    const MethodTable& table, PipelineWrite pipeline_write) {
  return std::make_unique<UnknownMethodService>(table, std::move(pipeline_write));
}

std::vector<std::unique_ptr<grpc::Service>> NewGrpcServices(const MethodTable& table) {
  std::vector<std::unique_ptr<grpc::Service>> out;
  for (const google::protobuf::ServiceDescriptor* service : table.services()) {
    out.push_back(std::make_unique<TableService>(table, *service));
  }
  return out;
}

}  // namespace d06::api
