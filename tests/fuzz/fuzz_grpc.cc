// The request bytes of every unary method, as gRPC delivers them to d06d: the first byte
// picks the method (in the order of the server's method table), the rest is the request
// message. Whatever the bytes, the server answers with a status that says what is wrong
// (never UNKNOWN, and INTERNAL only for what the server itself could not do), and keeps
// serving. Seeds: tests/fuzz/corpus/grpc (a valid request of each method).
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "server/api/core_methods.h"
#include "server/api/method_table.h"
#include "tests/fuzz/fuzz_server.h"

namespace {

const std::vector<std::string>& UnaryMethods() {
  static const std::vector<std::string> methods = [] {
    std::vector<std::string> out;
    d06::Core* no_core = nullptr;
    d06::api::StreamRunners runners{nullptr, nullptr, nullptr};
    auto table = d06::api::NewCoreMethodTable(no_core, runners);
    for (const auto* service : table->services()) {
      for (int m = 0; m < service->method_count(); ++m) {
        const auto* method = service->method(m);
        if (method->server_streaming() || method->client_streaming()) continue;
        out.push_back("/" + service->full_name() + "/" + method->name());
      }
    }
    return out;
  }();
  return methods;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(d06::fuzz::FuzzServer().port()),
                          grpc::InsecureChannelCredentials());
  static grpc::GenericStub stub(channel);
  const std::vector<std::string>& methods = UnaryMethods();
  const std::string& method = methods[data[0] % methods.size()];
  grpc::Slice slice(data + 1, size - 1);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  context.AddMetadata("x-d06-actor", "fuzz");
  grpc::ByteBuffer response;
  grpc::Status status;
  bool done = false;
  std::mutex mu;
  std::condition_variable cv;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
    std::lock_guard<std::mutex> lock(mu);
    status = std::move(s);
    done = true;
    cv.notify_one();
  });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  if (status.error_code() == grpc::StatusCode::UNKNOWN ||
      status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    std::fprintf(stderr, "%s answered %d: %s\n", method.c_str(), status.error_code(),
                 status.error_message().c_str());
    std::abort();
  }
  return 0;
}
