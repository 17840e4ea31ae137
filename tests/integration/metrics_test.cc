// The metrics listener (server/api/metrics.h): after a workload, /metrics passes
// `promtool check metrics` (Debian's prometheus package, which scripts/setup.sh installs)
// and its counters moved exactly as the workload says; /livez and /readyz answer on the
// metrics listener and on the HTTP face, and /readyz says "not ready" once the store
// failed stop (tests/testing/faulty_disk.h).
#include <stdio.h>
#include <sys/wait.h>

#include <fstream>
#include <map>
#include <optional>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/faulty_disk.h"
#include "tests/testing/raw_grpc.h"
#include "tests/testing/raw_http.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

// The samples of a scrape, by name and labels as written: "d06_calls_total{code=\"OK\",...}".
using Samples = std::map<std::string, double>;

Samples Parse(const std::string& text) {
  Samples out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (absl::StartsWith(line, "#")) continue;
    const size_t space = line.rfind(' ');
    double value = 0;
    if (space == absl::string_view::npos || !absl::SimpleAtod(line.substr(space + 1), &value)) {
      ADD_FAILURE() << "not a sample: " << line;
      continue;
    }
    out[std::string(line.substr(0, space))] = value;
  }
  return out;
}

// The value of `sample`, 0 when absent (a counter not yet incremented).
double Value(const Samples& samples, const std::string& sample) {
  auto it = samples.find(sample);
  return it == samples.end() ? 0 : it->second;
}

// A GET of `path` on 127.0.0.1:`port`.
RawAnswer Get(int port, const std::string& path) {
  RawHttp http(port);
  EXPECT_TRUE(http.Send(
      absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")));
  std::optional<RawAnswer> answer = http.Read();
  EXPECT_TRUE(answer.has_value()) << "no answer to GET " << path;
  return answer.value_or(RawAnswer{});
}

// Runs `command` in a shell; its exit code, its output (stdout and stderr) in *output.
int RunShell(const std::string& command, std::string* output) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output->append(buffer, n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class MetricsTest : public ServerTest {
 protected:
  void ConfigureServer(ServerOptions& options) override {
    options.metrics_listen_address = "127.0.0.1:0";
  }

  std::string Scrape() {
    const RawAnswer answer = Get(server().metrics_port(), "/metrics");
    EXPECT_EQ(answer.status, 200);
    EXPECT_THAT(answer.header("Content-Type"), ::testing::StartsWith("text/plain; version=0.0.4"));
    return answer.body;
  }
};

TEST_F(MetricsTest, CountersMoveAsTheWorkloadSays) {
  ASSERT_NE(server().metrics_port(), 0);
  const v1::Unit unit = MakeUnit("H01");
  const Samples before = Parse(Scrape());

  constexpr int kCalls = 7;
  for (int i = 0; i < kCalls; ++i) GetUnit(unit.name());
  v1::GetUnitRequest missing;
  missing.set_name("units/H99");
  EXPECT_FALSE(client().GetUnit(missing).ok());
  // Refused before the method table: a body that is not JSON, an unknown method.
  {
    RawHttp http(server().http_port());
    const std::string body = "{not json";
    ASSERT_TRUE(
        http.Send(absl::StrCat("POST /d06.v1.UnitService/GetUnit HTTP/1.1\r\nHost: localhost\r\n"
                               "Content-Type: application/json\r\nContent-Length: ",
                               body.size(), "\r\nConnection: close\r\n\r\n", body)));
    std::optional<RawAnswer> answer = http.Read();
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->status, 400);
  }
  {
    RawHttp http(server().http_port());
    ASSERT_TRUE(http.Send(
        "POST /d06.v1.UnitService/NoSuchMethod HTTP/1.1\r\nHost: localhost\r\n"
        "Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"));
    ASSERT_TRUE(http.Read().has_value());
  }

  const std::string text = Scrape();
  const Samples after = Parse(text);
  auto delta = [&](const std::string& sample) {
    return Value(after, sample) - Value(before, sample);
  };
  EXPECT_EQ(delta("d06_calls_total{code=\"OK\",method=\"GetUnit\",service=\"d06.v1.UnitService\","
                  "transport=\"grpc\"}"),
            kCalls);
  EXPECT_EQ(delta("d06_calls_total{code=\"NOT_FOUND\",method=\"GetUnit\","
                  "service=\"d06.v1.UnitService\",transport=\"grpc\"}"),
            1);
  EXPECT_EQ(delta("d06_call_duration_seconds_count{method=\"GetUnit\","
                  "service=\"d06.v1.UnitService\"}"),
            kCalls + 1);
  EXPECT_EQ(delta("d06_refused_requests_total{reason=\"malformed\",transport=\"connect\"}"), 1);
  EXPECT_EQ(delta("d06_refused_requests_total{reason=\"unknown_method\",transport=\"connect\"}"),
            1);
  // MakeUnit was one durable write, synced before it was answered.
  EXPECT_GE(Value(after, "d06_writer_mutations_total"), 1);
  EXPECT_GE(Value(after, "d06_wal_fsync_duration_seconds_count"), 1);
  EXPECT_EQ(Value(after, "d06_store_fail_stopped"), 0);
  EXPECT_EQ(Value(after, "d06_calls_in_flight{kind=\"point_read\"}"), 0);
  EXPECT_GT(Value(after, "d06_rocksdb_memtable_bytes"), 0);
  EXPECT_GT(Value(after, "process_resident_memory_bytes"), 0);
  EXPECT_GT(Value(after, "process_start_time_seconds"), 1.7e9);
  EXPECT_THAT(text, ::testing::HasSubstr("d06_build_info{version=\"0.1.0\",revision="));

  // Prometheus' own linter (names, units, help, types).
  TempDir dir("d06-metrics");
  const std::string file = dir.path() + "/metrics.txt";
  std::ofstream(file) << text;
  std::string output;
  EXPECT_EQ(RunShell(absl::StrCat("promtool check metrics < ", file), &output), 0) << output;
  EXPECT_EQ(output, "") << output;
}

TEST_F(MetricsTest, GrpcRefusalsBeforeTheTableAreCounted) {
  const Samples before = Parse(Scrape());
  for (const std::string method :
       {"/d06.v1.UnitService/NoSuchMethod", "/d06.v1.UnitService/GetUnit"}) {
    // Field 1 (name) as a string whose length runs past the end: not a GetUnitRequest.
    EXPECT_FALSE(CallRawGrpc(target(), method, std::string("\x0a\x10x", 3)).ok()) << method;
  }
  const Samples after = Parse(Scrape());
  auto delta = [&](const std::string& sample) {
    return Value(after, sample) - Value(before, sample);
  };
  EXPECT_EQ(delta("d06_refused_requests_total{reason=\"unknown_method\",transport=\"grpc\"}"), 1);
  EXPECT_EQ(delta("d06_refused_requests_total{reason=\"malformed\",transport=\"grpc\"}"), 1);
}

TEST_F(MetricsTest, ProbesOnTheMetricsListenerAndTheHttpFace) {
  for (int port : {server().metrics_port(), server().http_port()}) {
    const RawAnswer live = Get(port, "/livez");
    EXPECT_EQ(live.status, 200) << port;
    EXPECT_EQ(live.body, "ok\n");
    const RawAnswer ready = Get(port, "/readyz");
    EXPECT_EQ(ready.status, 200) << port;
    EXPECT_EQ(ready.body, "ok\n");
  }
  EXPECT_EQ(Get(server().metrics_port(), "/v1/anything").status, 404);
}

class MetricsFullDiskTest : public MetricsTest {
 protected:
  void ConfigureServer(ServerOptions& options) override {
    MetricsTest::ConfigureServer(options);
    options.file_system = disk_;
  }
  const std::shared_ptr<FaultyDisk> disk_ = std::make_shared<FaultyDisk>();
};

TEST_F(MetricsFullDiskTest, NotReadyOnceTheStoreFailedStop) {
  const v1::Unit unit = MakeUnit("H01");
  EXPECT_EQ(Value(Parse(Scrape()), "d06_store_fail_stopped"), 0);
  disk_->Fill();
  ClientOptions options;
  options.target = target();
  options.actor = "tester";
  options.max_retries = 0;
  auto one_shot = Client::Connect(options);
  ASSERT_TRUE(one_shot.ok()) << one_shot.status();
  v1::CreateTaskRequest create;
  create.mutable_task()->set_title("Không lưu được");
  create.mutable_task()->set_kind(v1::TASK_KIND_ONE_OFF);
  create.mutable_task()->set_assigning_unit(unit.name());
  EXPECT_EQ((*one_shot)->CreateTask(create).status().code(), absl::StatusCode::kUnavailable);

  EXPECT_EQ(Value(Parse(Scrape()), "d06_store_fail_stopped"), 1);
  for (int port : {server().metrics_port(), server().http_port()}) {
    EXPECT_EQ(Get(port, "/livez").status, 200) << port;
    const RawAnswer ready = Get(port, "/readyz");
    EXPECT_EQ(ready.status, 503) << port;
    EXPECT_EQ(ready.body, "not ready\n");
  }
  disk_->Free();
}

}  // namespace
}  // namespace d06::testing
