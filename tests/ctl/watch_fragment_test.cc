// d06::Client::Watch against a scripted EventService: a watch cut inside a revision that
// came in several responses (WatchResponse.fragment) resumes at that revision's start, and
// the events already handed on are not handed on again.
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "client/client.h"
#include "d06/v1/watch.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace d06 {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

v1::Event EventAt(int64_t revision, int32_t index) {
  v1::Event event;
  event.set_revision(revision);
  event.set_index(index);
  event.set_resource(absl::StrCat("tasks/", index + 1));
  return event;
}

// Revision 7 has events 0..3. The first watch sends 0..1 as a fragment and breaks off
// (UNAVAILABLE, as a restart); the next sends the whole revision again.
class FragmentingEventService final : public v1::EventService::Service {
 public:
  grpc::Status Watch(grpc::ServerContext*, const v1::WatchRequest* request,
                     grpc::ServerWriter<v1::WatchResponse>* writer) override {
    int call;
    {
      absl::MutexLock lock(&mu_);
      starts_.push_back(request->start_revision());
      call = static_cast<int>(starts_.size());
    }
    v1::WatchResponse start;
    start.set_revision(request->start_revision() - 1);
    writer->Write(start);
    v1::WatchResponse part;
    const int32_t through = call == 1 ? 1 : 3;
    for (int32_t i = 0; i <= through; ++i) *part.add_events() = EventAt(7, i);
    part.set_fragment(call == 1);
    part.set_revision(call == 1 ? 6 : 7);
    writer->Write(part);
    if (call == 1) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "restarting");
    v1::WatchResponse next;
    *next.add_events() = EventAt(8, 0);
    next.set_revision(8);
    writer->Write(next);
    return grpc::Status::OK;
  }

  std::vector<int64_t> starts() {
    absl::MutexLock lock(&mu_);
    return starts_;
  }

 private:
  absl::Mutex mu_;
  std::vector<int64_t> starts_ ABSL_GUARDED_BY(mu_);
};

TEST(WatchFragmentTest, ACutInsideAFragmentedRevisionHandsOnEachEventOnce) {
  FragmentingEventService service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);

  ClientOptions options;
  options.target = absl::StrCat("127.0.0.1:", port);
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();
  std::vector<std::pair<int64_t, int32_t>> seen;
  std::vector<int64_t> resumed_at;
  v1::WatchRequest req;
  req.set_start_revision(7);
  const absl::Status status = (*client)->Watch(
      req,
      [&](const v1::WatchResponse& r) {
        for (const v1::Event& e : r.events()) seen.emplace_back(e.revision(), e.index());
        return r.revision() < 8;
      },
      [&](const absl::Status&, int64_t next) { resumed_at.push_back(next); });
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_THAT(seen, ElementsAre(Pair(7, 0), Pair(7, 1), Pair(7, 2), Pair(7, 3), Pair(8, 0)));
  EXPECT_THAT(resumed_at, ElementsAre(7));  // the fragment's revision + 1
  EXPECT_THAT(service.starts(), ElementsAre(7, 7));
  server->Shutdown();
}

}  // namespace
}  // namespace d06
