// d06::testing::OwnConnection: a gRPC channel on a TCP connection of its own. gRPC shares
// one connection between channels to the same target (its global subchannel pool); tests
// of per-connection limits, TLS handshakes, shutdown or separate clients need their own.
#ifndef D06_TESTS_TESTING_OWN_CONNECTION_H_
#define D06_TESTS_TESTING_OWN_CONNECTION_H_

#include <grpc/grpc.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <memory>
#include <string>

namespace d06::testing {

inline std::shared_ptr<grpc::Channel> OwnConnection(
    const std::string& target,
    std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials(),
    grpc::ChannelArguments args = {}) {
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(target, std::move(credentials), args);
}

}  // namespace d06::testing

#endif  // D06_TESTS_TESTING_OWN_CONNECTION_H_
