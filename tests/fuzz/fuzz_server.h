// One d06d inside the fuzzing process for the targets that call it (fuzz_grpc, fuzz_http
// and fuzz_search over loopback, fuzz_connect through its method table): started at the
// first input with authentication off, no rate limits, a fresh temporary data directory,
// and a province, a department and a task in it so that reads and transitions have
// something to find. Never stopped: libFuzzer ends the process.
#ifndef D06_TESTS_FUZZ_FUZZ_SERVER_H_
#define D06_TESTS_FUZZ_FUZZ_SERVER_H_

#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "client/client.h"
#include "google/protobuf/stubs/logging.h"
#include "server/api/method_table.h"
#include "server/d06d/server.h"

namespace d06::fuzz {

// protobuf logs an error, and goes on, when it serialises or parses a string field that
// is not UTF-8: here that is a finding (the server echoed bytes into a proto3 string).
inline void AbortOnProtobufErrors(google::protobuf::LogLevel level, const char* file, int line,
                                  const std::string& message) {
  std::fprintf(stderr, "[libprotobuf %d %s:%d] %s\n", static_cast<int>(level), file, line,
               message.c_str());
  if (level >= google::protobuf::LOGLEVEL_ERROR) std::abort();
}

inline Server& FuzzServer() {
  static Server* server = [] {
    google::protobuf::SetLogHandler(&AbortOnProtobufErrors);
    char dir[] = "/tmp/d06-fuzz-XXXXXX";
    if (mkdtemp(dir) == nullptr) std::abort();
    ServerOptions options;
    options.auth = AuthMode::kOff;
    options.listen_address = "127.0.0.1:0";
    options.http_listen_address = "127.0.0.1:0";
    options.data_dir = dir;
    options.rate_limits = "off";
    options.block_cache_mb = 8;
    absl::StatusOr<std::unique_ptr<Server>> started = Server::Start(options);
    if (!started.ok()) {
      std::fprintf(stderr, "d06 fuzz: the server did not start: %s\n",
                   started.status().ToString().c_str());
      std::abort();
    }
    ClientOptions copts;
    copts.target = "127.0.0.1:" + std::to_string((*started)->port());
    copts.actor = "fuzz";
    std::unique_ptr<Client> client = *Client::Connect(copts);
    v1::CreateUnitRequest unit;
    unit.mutable_unit()->set_code("H01");
    unit.mutable_unit()->set_display_name("Tỉnh Thử nghiệm");
    unit.mutable_unit()->set_kind(v1::UNIT_KIND_PROVINCE);
    (void)client->CreateUnit(unit);
    unit.mutable_unit()->set_code("H01.01");
    unit.mutable_unit()->set_display_name("Sở Tư pháp");
    unit.mutable_unit()->set_kind(v1::UNIT_KIND_DEPARTMENT);
    unit.mutable_unit()->set_parent("units/H01");
    (void)client->CreateUnit(unit);
    v1::CreateTaskRequest task;
    task.mutable_task()->set_title("Cấp căn cước cho công dân");
    task.mutable_task()->set_kind(v1::TASK_KIND_ONE_OFF);
    task.mutable_task()->set_assigning_unit("units/H01");
    v1::Assignment* lead = task.add_assignments();
    lead->set_unit("units/H01.01");
    lead->set_role(v1::ASSIGNMENT_ROLE_LEAD);
    (void)client->CreateTask(task);
    return started->release();
  }();
  return *server;
}

// "/d06.v1.TaskService/GetTask": the path of every unary method (gRPC's and Connect's),
// in the order of the server's method table (services as registered, methods in .proto
// order). A target's first input byte picks one (tests/fuzz/make_seeds.py, same order).
inline const std::vector<std::string>& UnaryMethodPaths() {
  static const std::vector<std::string> paths = [] {
    std::vector<std::string> out;
    for (const google::protobuf::ServiceDescriptor* service : FuzzServer().methods().services()) {
      for (int m = 0; m < service->method_count(); ++m) {
        const google::protobuf::MethodDescriptor* method = service->method(m);
        if (method->server_streaming() || method->client_streaming()) continue;
        out.push_back("/" + service->full_name() + "/" + method->name());
      }
    }
    return out;
  }();
  return paths;
}

}  // namespace d06::fuzz

#endif  // D06_TESTS_FUZZ_FUZZ_SERVER_H_
