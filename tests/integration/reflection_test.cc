// Server reflection, as grpcurl and `buf curl` use it: every service it lists resolves to
// a file descriptor whose dependencies resolve too, so a generic client can call it
// (grpc.health.v1.Health included, which deploy/README.md recommends for health checks).
#include <grpcpp/impl/codegen/client_context.h>
#include <grpcpp/impl/codegen/rpc_method.h>
#include <grpcpp/impl/codegen/sync_stream.h>
#include <grpcpp/support/byte_buffer.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::DescriptorPool;
using google::protobuf::FileDescriptorProto;
using google::protobuf::Message;

// A client of grpc.reflection.v1alpha.ServerReflection over one bidirectional stream,
// with the reflection messages taken from the descriptor pool (gRPC's reflection library
// registers them there).
class ReflectionClient {
 public:
  explicit ReflectionClient(const std::string& target)
      : channel_(grpc::CreateChannel(target, grpc::InsecureChannelCredentials())),
        method_("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                grpc::internal::RpcMethod::BIDI_STREAMING),
        stream_(
            grpc::internal::ClientReaderWriterFactory<grpc::ByteBuffer, grpc::ByteBuffer>::Create(
                channel_.get(), method_, &context_)) {
    const DescriptorPool* pool = DescriptorPool::generated_pool();
    request_type_ = pool->FindMessageTypeByName("grpc.reflection.v1alpha.ServerReflectionRequest");
    response_type_ =
        pool->FindMessageTypeByName("grpc.reflection.v1alpha.ServerReflectionResponse");
    if (request_type_ == nullptr || response_type_ == nullptr) {
      throw std::runtime_error("the reflection messages are not in the descriptor pool");
    }
  }
  ~ReflectionClient() {
    stream_->WritesDone();
    (void)stream_->Finish();
  }

  // Sends a request with `field` (list_services, file_containing_symbol, file_by_filename)
  // set to `value`; returns the response.
  std::unique_ptr<Message> Ask(const std::string& field, const std::string& value) {
    std::unique_ptr<Message> request(factory_.GetPrototype(request_type_)->New());
    request->GetReflection()->SetString(request.get(), request_type_->FindFieldByName(field),
                                        value);
    grpc::ByteBuffer out;
    bool own = false;
    if (!grpc::SerializationTraits<Message>::Serialize(*request, &out, &own).ok() ||
        !stream_->Write(out)) {
      throw std::runtime_error("cannot send a reflection request");
    }
    grpc::ByteBuffer in;
    if (!stream_->Read(&in)) throw std::runtime_error("no reflection response");
    std::unique_ptr<Message> response(factory_.GetPrototype(response_type_)->New());
    if (!grpc::SerializationTraits<Message>::Deserialize(&in, response.get()).ok()) {
      throw std::runtime_error("cannot parse a reflection response");
    }
    return response;
  }

  // The full names of the services the server lists.
  std::vector<std::string> Services() {
    std::unique_ptr<Message> r = Ask("list_services", "*");
    const Message& list = Sub(*r, "list_services_response");
    std::vector<std::string> names;
    const auto* service_field = list.GetDescriptor()->FindFieldByName("service");
    for (int i = 0; i < list.GetReflection()->FieldSize(list, service_field); ++i) {
      const Message& service = list.GetReflection()->GetRepeatedMessage(list, service_field, i);
      names.push_back(service.GetReflection()->GetString(
          service, service.GetDescriptor()->FindFieldByName("name")));
    }
    return names;
  }

  // The files of a file_descriptor_response; an error response's message otherwise.
  std::vector<FileDescriptorProto> Files(const Message& response, std::string* error) {
    std::vector<FileDescriptorProto> files;
    const auto* refl = response.GetReflection();
    const auto* error_field = response.GetDescriptor()->FindFieldByName("error_response");
    if (refl->HasField(response, error_field)) {
      const Message& e = refl->GetMessage(response, error_field);
      *error = e.GetReflection()->GetString(e, e.GetDescriptor()->FindFieldByName("error_message"));
      return files;
    }
    const Message& fds = Sub(response, "file_descriptor_response");
    const auto* bytes_field = fds.GetDescriptor()->FindFieldByName("file_descriptor_proto");
    for (int i = 0; i < fds.GetReflection()->FieldSize(fds, bytes_field); ++i) {
      FileDescriptorProto file;
      if (!file.ParseFromString(fds.GetReflection()->GetRepeatedString(fds, bytes_field, i))) {
        *error = "a file descriptor does not parse";
        return {};
      }
      files.push_back(std::move(file));
    }
    return files;
  }

 private:
  static const Message& Sub(const Message& m, const std::string& field) {
    return m.GetReflection()->GetMessage(m, m.GetDescriptor()->FindFieldByName(field));
  }

  std::shared_ptr<grpc::Channel> channel_;
  grpc::internal::RpcMethod method_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>> stream_;
  google::protobuf::DynamicMessageFactory factory_;
  const Descriptor* request_type_ = nullptr;
  const Descriptor* response_type_ = nullptr;
};

class ReflectionTest : public ServerTest {};

TEST_F(ReflectionTest, EveryListedServiceResolvesWithItsDependencies) {
  ReflectionClient reflection(target());
  const std::vector<std::string> services = reflection.Services();
  EXPECT_THAT(services, ::testing::IsSupersetOf({"grpc.health.v1.Health", "d06.v1.TaskService",
                                                 "d06.v1.UnitService", "d06.v1.ReportService",
                                                 "d06.v1.EventService"}));
  for (const std::string& service : services) {
    SCOPED_TRACE(service);
    std::string error;
    std::vector<FileDescriptorProto> files =
        reflection.Files(*reflection.Ask("file_containing_symbol", service), &error);
    ASSERT_TRUE(error.empty()) << error;
    ASSERT_FALSE(files.empty());
    // As grpcurl does: fetch every dependency by name until the files build a pool.
    std::map<std::string, FileDescriptorProto> by_name;
    std::vector<FileDescriptorProto> todo = files;
    while (!todo.empty()) {
      FileDescriptorProto file = todo.back();
      todo.pop_back();
      if (!by_name.emplace(file.name(), file).second) continue;
      for (const std::string& dependency : file.dependency()) {
        if (by_name.count(dependency)) continue;
        std::vector<FileDescriptorProto> got =
            reflection.Files(*reflection.Ask("file_by_filename", dependency), &error);
        ASSERT_TRUE(error.empty()) << dependency << ": " << error;
        todo.insert(todo.end(), got.begin(), got.end());
      }
    }
    DescriptorPool pool;
    // Dependencies first: add until nothing more builds.
    std::set<std::string> built;
    for (size_t round = 0; round < by_name.size() && built.size() < by_name.size(); ++round) {
      for (const auto& [name, file] : by_name) {
        if (built.count(name)) continue;
        bool ready = true;
        for (const std::string& d : file.dependency()) ready &= built.count(d) > 0;
        if (ready && pool.BuildFile(file) != nullptr) built.insert(name);
      }
    }
    const google::protobuf::ServiceDescriptor* found = pool.FindServiceByName(service);
    ASSERT_NE(found, nullptr);
    EXPECT_GT(found->method_count(), 0);
  }
}

TEST_F(ReflectionTest, HealthCheckIsDescribedAsGrpcDefinesIt) {
  ReflectionClient reflection(target());
  std::string error;
  std::vector<FileDescriptorProto> files = reflection.Files(
      *reflection.Ask("file_containing_symbol", "grpc.health.v1.Health.Check"), &error);
  ASSERT_TRUE(error.empty()) << error;
  ASSERT_THAT(files, ::testing::SizeIs(1));
  EXPECT_EQ(files[0].package(), "grpc.health.v1");
  ASSERT_EQ(files[0].service_size(), 1);
  EXPECT_EQ(files[0].service(0).method(0).name(), "Check");
  EXPECT_EQ(files[0].service(0).method(0).input_type(), ".grpc.health.v1.HealthCheckRequest");
}

}  // namespace
}  // namespace d06::testing
