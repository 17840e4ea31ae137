// The transports alone: a MethodTable served over gRPC (server/api/grpc_services.h), with
// a test service of one unary and one server-streaming method (tests/testing/proto).
#include "server/api/method_table.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "d06/testing/counter.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "server/api/grpc_services.h"
#include "tests/testing/own_connection.h"

namespace d06::api {
namespace {

using d06::testing::CounterService;
using d06::testing::CountReply;
using d06::testing::CountRequest;

constexpr char kService[] = "d06.testing.CounterService";

// A principal per bearer token: "Bearer an" is principals/an, a viewer of every unit.
class NamedPrincipals final : public Authenticator {
 public:
  absl::StatusOr<Caller> Authenticate(const CallContext& context) const override {
    absl::string_view token = context.authorization.value_or("");
    if (!absl::ConsumePrefix(&token, "Bearer ")) return absl::UnauthenticatedError("no token");
    auto principal = std::make_shared<v1::Principal>();
    principal->set_name(absl::StrCat("principals/", token));
    v1::RoleBinding* binding = principal->add_bindings();
    binding->set_role(v1::ROLE_VIEWER);
    binding->set_unit("*");
    Caller caller;
    caller.actor = principal->name();
    caller.principal = std::move(principal);
    return caller;
  }
  absl::Status Recheck(const Caller&) const override { return absl::OkStatus(); }
};

class MethodTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    table_ = std::make_unique<MethodTable>(std::vector<std::string>{kService});
    table_->AddUnary<CountRequest, CountReply>(
        absl::StrCat(kService, ".Echo"),
        [](const Caller& caller, const CountRequest& request, CountReply* reply, Done done) {
          reply->set_label(request.label());
          reply->set_actor(caller.actor);
          done(absl::OkStatus());
        });
    // The stream is written from a thread of its own, as a long export or a change feed
    // would be: Write blocks while the transport's buffer is full.
    table_->AddStream<CountRequest, CountReply>(
        absl::StrCat(kService, ".Count"),
        [this](const Caller& caller, const CountRequest& request, StreamWriter* out, Done done) {
          writers_.emplace_back([this, caller, request, out, done = std::move(done)] {
            int written = 0;
            for (int i = 0; i < request.count(); ++i) {
              CountReply reply;
              reply.set_index(i);
              reply.set_label(request.label());
              reply.set_actor(caller.actor);
              if (!out->Write(reply)) break;
              ++written;
            }
            last_written_ = written;
            done(written == request.count() ? absl::OkStatus()
                                            : absl::CancelledError("the client went away"));
            if (!ended_once_.exchange(true)) stream_ended_.Notify();
          });
        });
    table_->add_observer(&observer_);
    table_->Seal();
    services_ = NewGrpcServices(*table_);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    for (const auto& service : services_) builder.RegisterService(service.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    target_ = absl::StrCat("127.0.0.1:", port);
    stub_ =
        CounterService::NewStub(grpc::CreateChannel(target_, grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    server_->Shutdown();
    for (std::thread& t : writers_) t.join();
  }

  // Keeps what it is told of every call.
  class Recorder final : public CallObserver {
   public:
    void CallStarted(const Method&) override { ++started; }
    void CallEnded(const CallRecord& record) override {
      absl::MutexLock lock(&mu);
      ended.push_back(record);
    }
    std::atomic<int> started{0};
    absl::Mutex mu;
    std::vector<CallRecord> ended ABSL_GUARDED_BY(mu);
  };

  Recorder observer_;
  // Outlives the streams' writer threads, which check their callers again as they write.
  NamedPrincipals principals_;
  std::unique_ptr<MethodTable> table_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<grpc::Server> server_;
  std::string target_;
  std::unique_ptr<CounterService::Stub> stub_;
  std::vector<std::thread> writers_;
  std::atomic<int> last_written_{-1};
  absl::Notification stream_ended_;  // when the first stream ends
  std::atomic<bool> ended_once_{false};
};

TEST_F(MethodTableTest, UnaryCallsPassTheCaller) {
  grpc::ClientContext context;
  context.AddMetadata("x-d06-actor", "alice");
  CountRequest request;
  request.set_label("xin chào");
  CountReply reply;
  ASSERT_TRUE(stub_->Echo(&context, request, &reply).ok());
  EXPECT_EQ(reply.label(), "xin chào");
  EXPECT_EQ(reply.actor(), "alice");
}

TEST_F(MethodTableTest, AStreamDeliversEveryMessageInOrder) {
  grpc::ClientContext context;
  CountRequest request;
  request.set_count(500);  // far more than the reactor buffers: Write must wait
  request.set_label("đợt 1");
  std::unique_ptr<grpc::ClientReader<CountReply>> reader = stub_->Count(&context, request);
  CountReply reply;
  int expected = 0;
  while (reader->Read(&reply)) {
    EXPECT_EQ(reply.index(), expected++);
    EXPECT_EQ(reply.label(), "đợt 1");
    EXPECT_EQ(reply.actor(), "anonymous");
  }
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_EQ(expected, 500);
}

TEST_F(MethodTableTest, AStreamRefusesABadCallerBeforeTheHandler) {
  grpc::ClientContext context;
  context.AddMetadata("x-d06-actor", std::string(201, 'a'));
  CountRequest request;
  request.set_count(3);
  std::unique_ptr<grpc::ClientReader<CountReply>> reader = stub_->Count(&context, request);
  CountReply reply;
  EXPECT_FALSE(reader->Read(&reply));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_FALSE(stream_ended_.HasBeenNotified());
}

TEST_F(MethodTableTest, ACancelledStreamStopsItsWriter) {
  grpc::ClientContext context;
  CountRequest request;
  request.set_count(1000000);
  std::unique_ptr<grpc::ClientReader<CountReply>> reader = stub_->Count(&context, request);
  CountReply reply;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(reader->Read(&reply));
  context.TryCancel();
  ASSERT_TRUE(stream_ended_.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_LT(last_written_.load(), 1000000);
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(MethodTableTest, ObserversHearOfEveryCallAdmittedOrRefused) {
  CountRequest request;
  request.set_label("xin chào");
  CountReply reply;
  {
    grpc::ClientContext context;
    context.AddMetadata("x-d06-actor", "alice");
    ASSERT_TRUE(stub_->Echo(&context, request, &reply).ok());
  }
  {
    grpc::ClientContext context;
    context.AddMetadata("x-d06-actor", std::string(201, 'a'));
    ASSERT_FALSE(stub_->Echo(&context, request, &reply).ok());
  }
  EXPECT_EQ(observer_.started.load(), 2);
  absl::MutexLock lock(&observer_.mu);
  ASSERT_EQ(observer_.ended.size(), 2u);
  const CallRecord& ok = observer_.ended[0];
  EXPECT_EQ(ok.method->descriptor->name(), "Echo");
  EXPECT_EQ(ok.transport, CallContext::Transport::kGrpc);
  EXPECT_EQ(ok.principal, "alice");
  EXPECT_TRUE(ok.status.ok());
  EXPECT_EQ(ok.bytes_in, request.ByteSizeLong());
  EXPECT_GT(ok.bytes_out, ok.bytes_in);  // the label and the actor
  EXPECT_GT(ok.duration, absl::ZeroDuration());
  const CallRecord& refused = observer_.ended[1];
  EXPECT_EQ(refused.principal, "");
  EXPECT_EQ(refused.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.bytes_out, 0u);
}

TEST_F(MethodTableTest, ACallPastItsDeadlineDoesNotRun) {
  const Method* echo = table_->Find(absl::StrCat(kService, ".Echo"));
  ASSERT_NE(echo, nullptr);
  CallContext context;
  context.deadline = absl::Now() - absl::Milliseconds(1);
  CountRequest request;
  request.set_label("muộn");
  CountReply reply;
  absl::Status status = absl::UnknownError("not answered");
  table_->Call(*echo, context, request, &reply, [&status](absl::Status s) { status = s; });
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(reply.label(), "");  // the handler did not run
  context.deadline = absl::Now() + absl::Seconds(10);
  table_->Call(*echo, context, request, &reply, [&status](absl::Status s) { status = s; });
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(reply.label(), "muộn");
}

TEST_F(MethodTableTest, APrincipalRunsAtMostItsExportsAtOnceOverAnyConnection) {
  table_->set_authenticator(&principals_);
  MethodTable::StreamLimits limits;
  limits.exports_per_principal = 2;
  table_->set_stream_limits(limits);
  struct Export {
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientReader<CountReply>> reader;
    bool open = false;
  };
  // A long export on a connection of its own, its first message read.
  auto start = [&](const std::string& who) {
    auto e = std::make_unique<Export>();
    e->context.AddMetadata("authorization", "Bearer " + who);
    auto stub = CounterService::NewStub(testing::OwnConnection(target_));
    CountRequest request;
    request.set_count(1000000);
    e->reader = stub->Count(&e->context, request);
    CountReply reply;
    e->open = e->reader->Read(&reply);
    return e;
  };
  auto end = [](Export& e) {
    e.context.TryCancel();
    (void)e.reader->Finish();
  };
  std::vector<std::unique_ptr<Export>> an;
  for (int i = 0; i < 2; ++i) {
    an.push_back(start("an"));
    ASSERT_TRUE(an.back()->open) << i;
  }
  auto third = start("an");
  EXPECT_FALSE(third->open);
  grpc::Status refused = third->reader->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(),
              ::testing::HasSubstr("principals/an runs 2 exports, as many as a principal may (2)"));
  // Another principal is not held to an's.
  auto binh = start("binh");
  EXPECT_TRUE(binh->open);
  end(*binh);
  // Once one of an's ends, an may start another.
  end(*an[0]);
  bool again = false;
  for (int attempt = 0; attempt < 50 && !again; ++attempt) {
    auto next = start("an");
    again = next->open;
    end(*next);
    if (!again) absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(again);
  end(*an[1]);
}

TEST(MethodTableDeathTest, AMethodWithoutHandlerStopsStartUp) {
  MethodTable table({kService});
  table.AddUnary<CountRequest, CountReply>(
      absl::StrCat(kService, ".Echo"),
      [](const Caller&, const CountRequest&, CountReply*, Done done) { done(absl::OkStatus()); });
  EXPECT_DEATH(table.Seal(), "Count has no handler");
  EXPECT_DEATH((table.AddUnary<CountRequest, CountRequest>(
                   absl::StrCat(kService, ".Count"),
                   [](const Caller&, const CountRequest&, CountRequest*, Done) {})),
               "no unary method");
}

TEST(MethodTableDeathTest, AMethodWithoutAPolicyStopsStartUp) {
  MethodTable table({"d06.testing.UnguardedService"});
  table.AddUnary<CountRequest, CountReply>(
      "d06.testing.UnguardedService.Echo",
      [](const Caller&, const CountRequest&, CountReply*, Done done) { done(absl::OkStatus()); });
  EXPECT_DEATH(table.Seal(), "UnguardedService.Echo declares no policy");
}

}  // namespace
}  // namespace d06::api
