// The client's retry promise (client/client.h): an UNAVAILABLE call is retried, and every
// attempt of a mutation carries the same request_id (filled in before the first attempt
// when the caller left it empty), so the server applies it once. Other errors are not
// retried.
//
// Tested against a fake d06.v1.TaskService in this process that records each attempt
// and answers from a script, so the failures are exact and the server is not involved.
#include <grpcpp/grpcpp.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::SizeIs;

// Answers CreateTask with the scripted codes in order (OK once the script runs out) and
// records the request_id and x-d06-actor of every attempt.
class FakeTaskService final : public v1::TaskService::Service {
 public:
  struct Attempt {
    std::string request_id;
    std::string actor;
    std::string actor_bin;  // x-d06-actor-bin, as the server sees it (decoded)
  };

  void Script(std::vector<grpc::StatusCode> codes) {
    absl::MutexLock lock(&mu_);
    script_.assign(codes.begin(), codes.end());
  }
  std::vector<Attempt> attempts() {
    absl::MutexLock lock(&mu_);
    return attempts_;
  }
  std::vector<std::string> request_ids() {
    std::vector<std::string> out;
    for (const Attempt& a : attempts()) out.push_back(a.request_id);
    return out;
  }

  grpc::Status CreateTask(grpc::ServerContext* context, const v1::CreateTaskRequest* request,
                          v1::CreateTaskResponse* response) override {
    absl::MutexLock lock(&mu_);
    Attempt attempt;
    attempt.request_id = request->request_id();
    auto actor = context->client_metadata().find("x-d06-actor");
    if (actor != context->client_metadata().end()) {
      attempt.actor = std::string(actor->second.data(), actor->second.size());
    }
    auto actor_bin = context->client_metadata().find("x-d06-actor-bin");
    if (actor_bin != context->client_metadata().end()) {
      attempt.actor_bin = std::string(actor_bin->second.data(), actor_bin->second.size());
    }
    attempts_.push_back(attempt);
    grpc::StatusCode code = grpc::StatusCode::OK;
    if (!script_.empty()) {
      code = script_.front();
      script_.pop_front();
    }
    if (code != grpc::StatusCode::OK) return grpc::Status(code, "scripted failure");
    response->mutable_task()->set_name("tasks/1");
    response->mutable_task()->set_title(request->task().title());
    return grpc::Status::OK;
  }

 private:
  absl::Mutex mu_;
  std::deque<grpc::StatusCode> script_ ABSL_GUARDED_BY(mu_);
  std::vector<Attempt> attempts_ ABSL_GUARDED_BY(mu_);
};

class ClientRetryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port_, 0);
    ClientOptions options;
    options.target = absl::StrCat("127.0.0.1:", port_);
    options.actor = "retry-tester";
    options.max_retries = 3;
    options.initial_backoff = absl::Milliseconds(1);
    options.max_backoff = absl::Milliseconds(5);
    options.default_timeout = absl::Seconds(5);
    auto c = Client::Connect(options);
    ASSERT_TRUE(c.ok()) << c.status();
    client_ = *std::move(c);
  }

  void TearDown() override {
    client_.reset();
    if (server_ != nullptr) server_->Shutdown();
  }

  static v1::CreateTaskRequest Req(const std::string& request_id = "") {
    v1::CreateTaskRequest req;
    req.mutable_task()->set_title("Nhiệm vụ");
    req.set_request_id(request_id);
    return req;
  }

  FakeTaskService service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(ClientRetryTest, UnavailableIsRetriedWithTheSameGeneratedRequestId) {
  service_.Script({grpc::StatusCode::UNAVAILABLE});
  auto got = client_->CreateTask(Req());
  ASSERT_THAT(got.status(), IsOk());
  EXPECT_EQ(got->task().name(), "tasks/1");
  std::vector<std::string> ids = service_.request_ids();
  ASSERT_THAT(ids, SizeIs(2));
  EXPECT_EQ(ids[0].size(), 36u) << ids[0];  // a UUID, filled in by the client
  EXPECT_EQ(ids[1], ids[0]);
  for (const auto& a : service_.attempts()) EXPECT_EQ(a.actor, "retry-tester");
}

TEST_F(ClientRetryTest, EachCallGetsItsOwnRequestId) {
  ASSERT_THAT(client_->CreateTask(Req()).status(), IsOk());
  ASSERT_THAT(client_->CreateTask(Req()).status(), IsOk());
  std::vector<std::string> ids = service_.request_ids();
  ASSERT_THAT(ids, SizeIs(2));
  EXPECT_FALSE(ids[0].empty());
  EXPECT_NE(ids[0], ids[1]);
}

TEST_F(ClientRetryTest, CallerRequestIdIsKeptOnEveryAttempt) {
  service_.Script({grpc::StatusCode::UNAVAILABLE, grpc::StatusCode::UNAVAILABLE});
  ASSERT_THAT(client_->CreateTask(Req("caller-chosen-id-7")).status(), IsOk());
  EXPECT_THAT(service_.request_ids(),
              ElementsAre("caller-chosen-id-7", "caller-chosen-id-7", "caller-chosen-id-7"));
}

TEST_F(ClientRetryTest, OtherErrorsAreNotRetried) {
  for (grpc::StatusCode code :
       {grpc::StatusCode::INVALID_ARGUMENT, grpc::StatusCode::FAILED_PRECONDITION,
        grpc::StatusCode::ABORTED, grpc::StatusCode::INTERNAL}) {
    SCOPED_TRACE(static_cast<int>(code));
    const size_t before = service_.attempts().size();
    service_.Script({code});
    auto got = client_->CreateTask(Req());
    EXPECT_EQ(static_cast<int>(got.status().code()), static_cast<int>(code));
    EXPECT_EQ(service_.attempts().size(), before + 1);  // one attempt, no retry
  }
}

TEST_F(ClientRetryTest, RetriesStopAfterMaxRetries) {
  service_.Script(std::vector<grpc::StatusCode>(10, grpc::StatusCode::UNAVAILABLE));
  auto got = client_->CreateTask(Req());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable);
  std::vector<std::string> ids = service_.request_ids();
  ASSERT_THAT(ids, SizeIs(1 + 3));  // the first attempt and max_retries = 3 retries
  EXPECT_FALSE(ids[0].empty());
  EXPECT_THAT(ids, Each(ids[0]));
}

// A printable ASCII actor travels as x-d06-actor, readable in logs; any other (gRPC
// metadata cannot carry it) as its UTF-8 bytes under x-d06-actor-bin.
TEST_F(ClientRetryTest, ActorTravelsAsTextWhenAsciiElseAsBinary) {
  ASSERT_THAT(client_->CreateTask(Req()).status(), IsOk());
  ClientOptions options = client_->options();
  options.target = absl::StrCat("127.0.0.1:", port_);
  options.actor = "Nguyễn Văn An";
  auto vietnamese = Client::Connect(options);
  ASSERT_THAT(vietnamese.status(), IsOk());
  ASSERT_THAT((*vietnamese)->CreateTask(Req()).status(), IsOk());
  std::vector<FakeTaskService::Attempt> attempts = service_.attempts();
  ASSERT_THAT(attempts, SizeIs(2));
  EXPECT_EQ(attempts[0].actor, "retry-tester");
  EXPECT_EQ(attempts[0].actor_bin, "");
  EXPECT_EQ(attempts[1].actor, "");
  EXPECT_EQ(attempts[1].actor_bin, "Nguyễn Văn An");
}

}  // namespace
}  // namespace d06::testing
