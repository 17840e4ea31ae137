// One unary gRPC call with the request given as bytes (malformed ones included) and any
// metadata, for the tests of what the server does with whatever a client sends:
//
//   absl::Status s = CallRawGrpc(target(), "/d06.v1.TaskService/GetTask", "\xff",
//                                {{"authorization", "Bearer " + token}});
//
// Over a new channel to `target`, or over `channel` (kept for many calls); `response`,
// when given, gets the answer's bytes. Part of the d06_testing library (tests/testing),
// header-only (the fuzz targets use it too). Waits at most 10 s.
#ifndef D06_TESTS_TESTING_RAW_GRPC_H_
#define D06_TESTS_TESTING_RAW_GRPC_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"

namespace d06::testing {

using RawMetadata = std::vector<std::pair<std::string, std::string>>;

inline absl::Status CallRawGrpc(const std::shared_ptr<grpc::Channel>& channel,
                                const std::string& method, const std::string& bytes,
                                const RawMetadata& metadata = {}, std::string* response = nullptr) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer answer;
  grpc::Status result;
  absl::Notification done;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &answer, [&](grpc::Status s) {
    result = std::move(s);
    done.Notify();
  });
  done.WaitForNotification();
  if (result.ok() && response != nullptr) {
    grpc::Slice whole;
    if (!answer.DumpToSingleSlice(&whole).ok()) return absl::InternalError("unreadable answer");
    response->assign(reinterpret_cast<const char*>(whole.begin()), whole.size());
  }
  return client::FromGrpcStatus(result);
}

inline absl::Status CallRawGrpc(const std::string& target, const std::string& method,
                                const std::string& bytes, const RawMetadata& metadata = {},
                                std::string* response = nullptr) {
  return CallRawGrpc(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()), method, bytes,
                     metadata, response);
}

}  // namespace d06::testing

#endif  // D06_TESTS_TESTING_RAW_GRPC_H_
