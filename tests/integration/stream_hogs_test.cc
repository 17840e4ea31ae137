// One client on a hostile network (issue 17), in process: a connection that opens many
// watches or exports and never reads takes only its own share of the server's stream
// slots (max_watchers_per_connection, max_exports_per_connection); an export that stalls
// is ended (stream_stall_timeout); and the gRPC port keeps at most grpc_max_connections
// connections, answering one more at once with UNAVAILABLE.
//
// Each connection here is a channel of its own (tests/testing/own_connection.h).
#include <grpc/grpc.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "d06/v1/task.grpc.pb.h"
#include "d06/v1/unit.grpc.pb.h"
#include "d06/v1/watch.grpc.pb.h"
#include "tests/testing/own_connection.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

using ::testing::Lt;
using ::testing::Not;

// A deadline `d` from now.
std::chrono::system_clock::time_point In(absl::Duration d) {
  return std::chrono::system_clock::now() + absl::ToChronoMilliseconds(d);
}

// A server-streaming call read with the synchronous API; its context outlives it.
template <typename Response>
struct StreamCall {
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<Response>> reader;
  // Reads the first response: true if the call was admitted (it sends at once), false if
  // it ended first (then `status` is why).
  bool Admitted() {
    if (reader->Read(&first)) return true;
    status = client::FromGrpcStatus(reader->Finish());
    finished = true;
    return false;
  }
  // Ends the call whatever its state (test clean-up).
  void Cancel() {
    if (finished) return;
    context.TryCancel();
    Response ignored;
    while (reader->Read(&ignored)) {
    }
    status = client::FromGrpcStatus(reader->Finish());
    finished = true;
  }
  Response first;  // what Admitted() read
  absl::Status status;
  bool finished = false;
};

class HostileClientTest : public ServerTest {
 protected:
  // A channel with a TCP connection of its own.
  std::shared_ptr<grpc::Channel> NewConnection() { return OwnConnection(target()); }
  // The same for a client that reads nothing: its receive window stays at HTTP/2's
  // 64 KiB (no BDP probing, which grows the windows of a fast connection to many MiB),
  // so that an unread stream is stalled by a few MiB, as a hostile client would have it.
  std::shared_ptr<grpc::Channel> NewHogConnection() {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    return OwnConnection(target(), grpc::InsecureChannelCredentials(), args);
  }
};

// ---- watches ----------------------------------------------------------------------------

class WatchHogTest : public HostileClientTest {
 protected:
  static constexpr int kPerConnection = 16;
  static constexpr int kHogWatches = 100;
  void ConfigureServer(ServerOptions& options) override {
    // Fewer watchers in all than the hog opens: without a cap per connection, it would
    // take every one of them.
    options.max_watchers = 50;
    options.max_watchers_per_connection = kPerConnection;
  }
};

TEST_F(WatchHogTest, AConnectionGetsItsShareOfWatchersAndOthersStillWatch) {
  // The hog: 100 watches on one connection, each reading its first response (a watch
  // from now sends one at once saying where now is) and then nothing.
  auto hog = v1::EventService::NewStub(NewHogConnection());
  std::vector<std::unique_ptr<StreamCall<v1::WatchResponse>>> watches;
  for (int i = 0; i < kHogWatches; ++i) {
    auto call = std::make_unique<StreamCall<v1::WatchResponse>>();
    call->context.set_deadline(In(absl::Seconds(30)));
    call->reader = hog->Watch(&call->context, v1::WatchRequest());
    watches.push_back(std::move(call));
  }
  int admitted = 0;
  std::vector<absl::Status> refused;
  for (auto& call : watches) {
    if (call->Admitted()) {
      ++admitted;
    } else {
      refused.push_back(call->status);
    }
  }
  EXPECT_EQ(admitted, kPerConnection);
  // Each refused one says why: this connection has its share.
  int unexplained = 0;
  for (const absl::Status& status : refused) {
    if (status.code() != absl::StatusCode::kResourceExhausted ||
        client::ErrorReason(status) != "TOO_MANY_WATCHERS" ||
        !absl::StrContains(status.message(), "this connection")) {
      if (unexplained++ == 0) ADD_FAILURE() << "refused with " << Describe(status);
    }
  }
  EXPECT_EQ(unexplained, 0) << "of " << refused.size() << " refused";

  // Meanwhile a watch on another connection is served and sees a write.
  auto other = v1::EventService::NewStub(NewConnection());
  StreamCall<v1::WatchResponse> watch;
  watch.context.set_deadline(In(absl::Seconds(10)));
  watch.reader = other->Watch(&watch.context, v1::WatchRequest());
  ASSERT_TRUE(watch.Admitted()) << Describe(watch.status);
  MakeUnit("H29");
  bool seen = false;
  v1::WatchResponse response;
  while (!seen && watch.reader->Read(&response)) {
    for (const v1::Event& event : response.events()) seen |= event.resource() == "units/H29";
  }
  EXPECT_TRUE(seen) << "the other connection's watch ended without the write's event";

  watch.Cancel();
  for (auto& call : watches) call->Cancel();
}

// ---- exports ----------------------------------------------------------------------------

// Seeds an export far larger than what the hog's receive window, the transport and the
// server's stream queue hold: 10,000 assignment rows of about 1.6 KB (a 480-character
// Vietnamese title, 3 bytes a character), about 16 MB. An export that is not read stays
// running.
class ExportHogTest : public HostileClientTest {
 protected:
  static constexpr int kPerConnection = 2;
  static constexpr int kUnits = 100;
  static constexpr int kTasks = 100;

  void ConfigureServer(ServerOptions& options) override {
    options.max_exports_per_connection = kPerConnection;
  }

  void SetUp() override {
    HostileClientTest::SetUp();
    MakeUnit("H29");
    for (int u = 1; u <= kUnits; ++u) {
      MakeUnit(absl::StrFormat("H29.%03d", u), v1::UNIT_KIND_DEPARTMENT, "units/H29");
    }
    std::string title;
    for (int i = 0; i < 480; ++i) title += "ệ";
    for (int t = 0; t < kTasks; ++t) {
      v1::CreateTaskRequest req;
      req.mutable_task()->set_title(absl::StrCat(title, " ", t));
      req.mutable_task()->set_kind(v1::TASK_KIND_ONE_OFF);
      req.mutable_task()->set_assigning_unit("units/H29");
      for (int u = 1; u <= kUnits; ++u) {
        v1::Assignment* a = req.add_assignments();
        a->set_unit(absl::StrFormat("units/H29.%03d", u));
        a->set_role(u == 1 ? v1::ASSIGNMENT_ROLE_LEAD : v1::ASSIGNMENT_ROLE_SUPPORT);
      }
      Must(client().CreateTask(req), "CreateTask");
    }
  }

  using Export = StreamCall<v1::ExportAssignmentsResponse>;

  std::unique_ptr<Export> StartExport(v1::TaskService::Stub& stub) {
    auto call = std::make_unique<Export>();
    call->context.set_deadline(In(absl::Seconds(60)));
    v1::ExportAssignmentsRequest req;
    req.set_parent("tasks/-");
    call->reader = stub.ExportAssignments(&call->context, req);
    return call;
  }

  // Reads the rest of an export: its rows (lines; no title has a line break) and bytes,
  // from the first chunk (if Admitted() read one) on, and its status.
  static absl::Status ReadAll(Export& call, int64_t* lines, int64_t* bytes) {
    v1::ExportAssignmentsResponse chunk = call.first;
    do {
      *bytes += chunk.data().size();
      for (char c : chunk.data()) *lines += c == '\n';
    } while (call.reader->Read(&chunk));
    call.finished = true;
    return call.status = client::FromGrpcStatus(call.reader->Finish());
  }
};

TEST_F(ExportHogTest, AConnectionGetsItsShareOfExportsAndOthersExportFully) {
  // The hog: 8 exports on one connection (as many as the server runs in all), each
  // reading its first chunk and then nothing.
  auto hog = v1::TaskService::NewStub(NewHogConnection());
  std::vector<std::unique_ptr<Export>> exports;
  for (int i = 0; i < 8; ++i) exports.push_back(StartExport(*hog));
  int admitted = 0;
  for (auto& call : exports) {
    if (call->Admitted()) {
      ++admitted;
    } else {
      EXPECT_EQ(call->status.code(), absl::StatusCode::kResourceExhausted)
          << Describe(call->status);
    }
  }
  EXPECT_EQ(admitted, kPerConnection);

  // Another connection exports the whole file meanwhile.
  auto other = v1::TaskService::NewStub(NewConnection());
  std::unique_ptr<Export> full = StartExport(*other);
  int64_t lines = 0, bytes = 0;
  EXPECT_THAT(ReadAll(*full, &lines, &bytes), IsOk());
  EXPECT_EQ(lines, 1 + kUnits * kTasks);  // the header and every assignment

  // The hog's exports were held all along: one more on its connection is still refused.
  std::unique_ptr<Export> more = StartExport(*hog);
  EXPECT_FALSE(more->Admitted());
  EXPECT_EQ(more->status.code(), absl::StatusCode::kResourceExhausted) << Describe(more->status);

  for (auto& call : exports) call->Cancel();
}

class StalledExportTest : public ExportHogTest {
 protected:
  static constexpr absl::Duration kStall = absl::Seconds(1);
  void ConfigureServer(ServerOptions& options) override {
    ExportHogTest::ConfigureServer(options);
    options.stream_stall_timeout = kStall;
  }
};

TEST_F(StalledExportTest, AnExportTheClientStopsReadingEndsAndFreesItsSlot) {
  auto hog = v1::TaskService::NewStub(NewHogConnection());
  std::vector<std::unique_ptr<Export>> stalled;
  for (int i = 0; i < kPerConnection; ++i) {
    stalled.push_back(StartExport(*hog));
    ASSERT_TRUE(stalled.back()->Admitted()) << Describe(stalled.back()->status);
  }
  const absl::Time stopped_reading = absl::Now();
  // The connection's slots are taken...
  std::unique_ptr<Export> refused = StartExport(*hog);
  ASSERT_FALSE(refused->Admitted());
  EXPECT_EQ(refused->status.code(), absl::StatusCode::kResourceExhausted);

  // ... until the stalled exports are ended: new exports on the same connection then
  // start, one for each slot, within a few seconds of the client's last read (ten stall
  // timeouts: the sanitizer build runs the export several times slower, and the stall is
  // counted from when the server's sends stop, after the flow-control windows fill).
  // Every slot, not one: each stalled export's stall is timed from its own last send, and
  // reading one that has not been ended yet would let it finish.
  std::vector<std::unique_ptr<Export>> next;
  while (static_cast<int>(next.size()) < kPerConnection &&
         absl::Now() - stopped_reading < 10 * kStall) {
    std::unique_ptr<Export> more = StartExport(*hog);
    if (more->Admitted()) {
      next.push_back(std::move(more));
      continue;
    }
    EXPECT_EQ(more->status.code(), absl::StatusCode::kResourceExhausted) << Describe(more->status);
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_EQ(static_cast<int>(next.size()), kPerConnection)
      << "not every slot of the hog's connection was freed within " << 10 * kStall
      << " of its last read";
  for (auto& call : next) call->Cancel();

  // The stalled exports were ended by the server: what was sent before the end reads
  // back, then an error, short of the whole file.
  for (auto& call : stalled) {
    int64_t lines = 0, bytes = 0;
    const absl::Status status = ReadAll(*call, &lines, &bytes);
    EXPECT_THAT(status, Not(IsOk())) << lines << " lines, " << bytes << " bytes";
    EXPECT_THAT(lines, Lt(1 + kUnits * kTasks));
  }
}

// ---- connections --------------------------------------------------------------------------

class GrpcConnectionCapTest : public HostileClientTest {
 protected:
  static constexpr int kCap = 4;
  void ConfigureServer(ServerOptions& options) override { options.grpc_max_connections = kCap; }

  // ListUnits on `channel`, waiting at most `timeout`.
  static absl::Status Call(const std::shared_ptr<grpc::Channel>& channel, absl::Duration timeout) {
    grpc::ClientContext context;
    context.set_deadline(In(timeout));
    v1::ListUnitsResponse response;
    return client::FromGrpcStatus(
        v1::UnitService::NewStub(channel)->ListUnits(&context, v1::ListUnitsRequest(), &response));
  }
};

TEST_F(GrpcConnectionCapTest, BeyondTheCapANewConnectionFailsAtOnceAndIsServedOnceOneCloses) {
  // The fixture's own client has not connected (it connects on its first call): these
  // four are every connection the server has.
  std::vector<std::shared_ptr<grpc::Channel>> connections;
  for (int i = 0; i < kCap; ++i) {
    connections.push_back(NewConnection());
    ASSERT_THAT(Call(connections.back(), absl::Seconds(10)), IsOk()) << "connection " << i;
  }

  // One more fails quickly with UNAVAILABLE: refused, not left waiting.
  const absl::Time start = absl::Now();
  const absl::Status fifth = Call(NewConnection(), absl::Seconds(10));
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(fifth.code(), absl::StatusCode::kUnavailable) << Describe(fifth);
  EXPECT_LT(took, absl::Seconds(2));

  // The four are still served.
  for (const auto& channel : connections) EXPECT_THAT(Call(channel, absl::Seconds(5)), IsOk());

  // Once one of them is closed, a new connection is served within about a second.
  connections.erase(connections.begin());
  const absl::Time closed = absl::Now();
  absl::Status status = absl::UnavailableError("not tried");
  while (!status.ok() && absl::Now() - closed < absl::Seconds(1)) {
    status = Call(NewConnection(), absl::Seconds(1) - (absl::Now() - closed));
    if (!status.ok()) absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_THAT(status, IsOk()) << "no new connection served within 1 s of one closing";
}

}  // namespace
}  // namespace d06::testing
