// Client::CallMethod and Client::CallStreamMethod: any method by its descriptor, through
// grpc::GenericStub, with messages of any descriptor pool (d06ctl builds them at run time).
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/client_callback.h>
#include <grpcpp/support/slice.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "client/client.h"

namespace d06 {
namespace {

// "/d06.v1.TaskService/GetTask".
std::string MethodPath(const google::protobuf::MethodDescriptor& method) {
  return absl::StrCat("/", method.service()->full_name(), "/", method.name());
}

grpc::ByteBuffer ToByteBuffer(const google::protobuf::Message& message) {
  std::string bytes = message.SerializeAsString();
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// Parses `buffer` into `message`; false if the bytes are not such a message.
bool FromByteBuffer(const grpc::ByteBuffer& buffer, google::protobuf::Message* message) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return false;
  std::string bytes;
  for (const grpc::Slice& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return message->ParseFromString(bytes);
}

// Fills an empty top-level string field `request_id` with a fresh id.
void FillRequestId(google::protobuf::Message& request) {
  const google::protobuf::FieldDescriptor* field =
      request.GetDescriptor()->FindFieldByName("request_id");
  if (field == nullptr || field->is_repeated() ||
      field->type() != google::protobuf::FieldDescriptor::TYPE_STRING) {
    return;
  }
  const google::protobuf::Reflection* reflection = request.GetReflection();
  if (reflection->GetString(request, field).empty()) {
    reflection->SetString(&request, field, client::NewRequestId());
  }
}

// One server-streaming call on the callback API: writes the request, then reads every
// message, handing each to `on_message` (on a gRPC thread, one at a time, in order).
class StreamReader final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  StreamReader(grpc::ByteBuffer request, std::function<bool(const grpc::ByteBuffer&)> on_message)
      : request_(std::move(request)), on_message_(std::move(on_message)) {}

  // Starts the call (already prepared on this reactor) and waits for its end.
  grpc::Status Run(grpc::ClientContext* context) {
    context_ = context;
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&response_);
    StartCall();
    done_.WaitForNotification();
    return status_;
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // The stream ended; OnDone follows.
    if (!on_message_(response_)) {
      context_->TryCancel();
      return;
    }
    StartRead(&response_);
  }

  void OnDone(const grpc::Status& status) override {
    status_ = status;
    done_.Notify();
  }

 private:
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  std::function<bool(const grpc::ByteBuffer&)> on_message_;
  grpc::ClientContext* context_ = nullptr;
  grpc::Status status_;
  absl::Notification done_;
};

}  // namespace

absl::Status Client::CallMethod(const google::protobuf::MethodDescriptor& method,
                                google::protobuf::Message& request,
                                google::protobuf::Message* response) {
  if (method.client_streaming() || method.server_streaming()) {
    return absl::InvalidArgumentError(
        absl::StrCat(method.full_name(), " is a streaming method: use CallStreamMethod"));
  }
  // The id is fixed before the first attempt: every retry is the same request.
  FillRequestId(request);
  const std::string path = MethodPath(method);
  const grpc::ByteBuffer request_bytes = ToByteBuffer(request);
  grpc::GenericStub stub(channel_);
  return Invoke([&](grpc::ClientContext* context) {
    grpc::ByteBuffer request_copy = request_bytes;
    grpc::ByteBuffer response_bytes;
    grpc::Status result;
    absl::Notification done;
    stub.UnaryCall(context, path, grpc::StubOptions(), &request_copy, &response_bytes,
                   [&](grpc::Status s) {
                     result = std::move(s);
                     done.Notify();
                   });
    done.WaitForNotification();
    if (!result.ok()) return result;
    response->Clear();
    if (!FromByteBuffer(response_bytes, response)) {
      return grpc::Status(grpc::StatusCode::INTERNAL,
                          absl::StrCat("unreadable response of ", method.full_name()));
    }
    return grpc::Status::OK;
  });
}

absl::Status Client::CallStreamMethod(
    const google::protobuf::MethodDescriptor& method, const google::protobuf::Message& request,
    const google::protobuf::Message& prototype,
    const std::function<void(const google::protobuf::Message& message)>& on_message) {
  if (method.client_streaming() || !method.server_streaming()) {
    return absl::InvalidArgumentError(
        absl::StrCat(method.full_name(), " is not a server-streaming method"));
  }
  const std::string path = MethodPath(method);
  const grpc::ByteBuffer request_bytes = ToByteBuffer(request);
  grpc::GenericStub stub(channel_);
  bool received = false;
  return Invoke([&](grpc::ClientContext* context) {
    std::unique_ptr<google::protobuf::Message> message(prototype.New());
    bool unreadable = false;
    StreamReader reader(request_bytes, [&](const grpc::ByteBuffer& bytes) {
      received = true;
      message->Clear();
      if (!FromByteBuffer(bytes, message.get())) {
        unreadable = true;
        return false;
      }
      on_message(*message);
      return true;
    });
    stub.PrepareBidiStreamingCall(context, path, grpc::StubOptions(), &reader);
    grpc::Status status = reader.Run(context);
    if (unreadable) {
      return grpc::Status(grpc::StatusCode::INTERNAL,
                          absl::StrCat("unreadable message of ", method.full_name()));
    }
    if (!status.ok() && received && status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      // Part of the stream was handed on: a retry would repeat it.
      return grpc::Status(
          grpc::StatusCode::ABORTED,
          absl::StrCat("the stream was cut off (", status.error_message(), "); start it again"));
    }
    return status;
  });
}

}  // namespace d06
