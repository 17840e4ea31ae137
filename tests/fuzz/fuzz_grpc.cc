// The request bytes of every unary method, as gRPC delivers them to d06d: the first byte
// picks the method (in the order of the server's method table), the rest is the request
// message. Whatever the bytes, the server answers within 10 s with a status that says
// what is wrong (never UNKNOWN), and keeps serving. Seeds: tests/fuzz/corpus/grpc (a valid request
// of each method).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tests/fuzz/fuzz_server.h"
#include "tests/testing/raw_grpc.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(d06::fuzz::FuzzServer().port()),
                          grpc::InsecureChannelCredentials());
  const std::vector<std::string>& methods = d06::fuzz::UnaryMethodPaths();
  const std::string& method = methods[data[0] % methods.size()];
  const absl::Status status = d06::testing::CallRawGrpc(
      channel, method, std::string(reinterpret_cast<const char*>(data) + 1, size - 1),
      {{"x-d06-actor", "fuzz"}});
  if (absl::IsUnknown(status) || absl::IsDeadlineExceeded(status)) {
    std::fprintf(stderr, "%s answered %s\n", method.c_str(), status.ToString().c_str());
    std::abort();
  }
  return 0;
}
