#include "server/api/method_table.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "google/protobuf/message.h"
#include "server/domain/names.h"

namespace d06::api {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "d06d: method table: %s\n", what.c_str());
  std::abort();
}

std::unique_ptr<Message> New(const google::protobuf::Descriptor* type) {
  return std::unique_ptr<Message>(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
}

}  // namespace

std::unique_ptr<Message> Method::NewRequest() const { return New(descriptor->input_type()); }
std::unique_ptr<Message> Method::NewResponse() const { return New(descriptor->output_type()); }

MethodTable::MethodTable(const std::vector<std::string>& services) {
  for (const std::string& name : services) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    if (service == nullptr) Die("no service " + name);
    services_.push_back(service);
  }
}

Method& MethodTable::Slot(absl::string_view full_name, const google::protobuf::Descriptor* request,
                          const google::protobuf::Descriptor* response, bool streaming) {
  const google::protobuf::MethodDescriptor* descriptor = nullptr;
  for (const auto* service : services_) {
    for (int i = 0; i < service->method_count(); ++i) {
      if (service->method(i)->full_name() == full_name) descriptor = service->method(i);
    }
  }
  if (descriptor == nullptr || descriptor->input_type() != request ||
      descriptor->output_type() != response || descriptor->client_streaming() ||
      descriptor->server_streaming() != streaming) {
    Die(absl::StrCat("no ", streaming ? "server-streaming" : "unary", " method ", full_name,
                     " with these request and response types"));
  }
  Method& method = methods_[descriptor->full_name()];
  if (method.descriptor != nullptr) Die(absl::StrCat(full_name, " has two handlers"));
  method.descriptor = descriptor;
  return method;
}

void MethodTable::Seal() const {
  for (const auto* service : services_) {
    for (int i = 0; i < service->method_count(); ++i) {
      if (Find(service->method(i)->full_name()) == nullptr) {
        Die(absl::StrCat(service->method(i)->full_name(), " has no handler"));
      }
    }
  }
}

const Method* MethodTable::Find(absl::string_view full_name) const {
  auto it = methods_.find(full_name);
  return it == methods_.end() ? nullptr : &it->second;
}

void MethodTable::Call(const Method& method, const ActorMetadata& actor, const Message& request,
                       Message* response, Done done) const {
  if (gate_ != nullptr && !gate_->Enter(&done)) return;
  absl::StatusOr<std::string> checked = ActorFromMetadata(actor.text, actor.binary);
  if (!checked.ok()) return done(checked.status());
  method.unary(Caller{*std::move(checked)}, request, response, std::move(done));
}

void MethodTable::CallStream(const Method& method, const ActorMetadata& actor,
                             const Message& request, StreamWriter* out, Done done) const {
  if (gate_ != nullptr && !gate_->Enter(&done)) return;
  absl::StatusOr<std::string> checked = ActorFromMetadata(actor.text, actor.binary);
  if (!checked.ok()) return done(checked.status());
  method.stream(Caller{*std::move(checked)}, request, out, std::move(done));
}

}  // namespace d06::api
