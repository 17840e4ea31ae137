// One unary gRPC call with the request given as bytes (malformed ones included) and any
// metadata, for the tests of what the server does with whatever a client sends:
//
//   absl::Status s = CallRawGrpc(target(), "/d06.v1.TaskService/GetTask", "\xff",
//                                {{"authorization", "Bearer " + token}});
//
// Part of the d06_testing library (tests/testing). Waits at most 10 s.
#ifndef D06_TESTS_TESTING_RAW_GRPC_H_
#define D06_TESTS_TESTING_RAW_GRPC_H_

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

inline absl::Status CallRawGrpc(
    const std::string& target, const std::string& method, const std::string& bytes,
    const std::vector<std::pair<std::string, std::string>>& metadata = {}) {
  auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::Status result;
  absl::Notification done;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
    result = std::move(s);
    done.Notify();
  });
  done.WaitForNotification();
  return client::FromGrpcStatus(result);
}

}  // namespace d06::testing

#endif  // D06_TESTS_TESTING_RAW_GRPC_H_
