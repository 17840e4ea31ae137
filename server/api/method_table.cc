#include "server/api/method_table.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "d06/v1/api_names.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/message.h"
#include "server/domain/errors.h"
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

Method::Kind Method::KindOf(const google::protobuf::MethodDescriptor& descriptor) {
  if (descriptor.server_streaming()) {
    return descriptor.name() == "Watch" ? Kind::kWatch : Kind::kExport;
  }
  if (descriptor.options().idempotency_level() !=
      google::protobuf::MethodOptions::NO_SIDE_EFFECTS) {
    return Kind::kWrite;
  }
  const google::protobuf::FieldDescriptor* name = descriptor.input_type()->FindFieldByName("name");
  return name != nullptr && name->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
                 !name->is_repeated()
             ? Kind::kPointRead
             : Kind::kBulkRead;
}

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
  method.kind = Method::KindOf(*descriptor);
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
  if (method.kind != Method::Kind::kBulkRead || admission_ == nullptr) {
    return method.unary(Caller{*std::move(checked)}, request, response, std::move(done));
  }
  // The transport keeps request and response until done runs.
  auto shared_done = std::make_shared<Done>(std::move(done));
  if (!admission_->Submit(
          [&method, caller = Caller{*std::move(checked)}, &request, response, shared_done] {
            method.unary(caller, request, response, std::move(*shared_done));
          })) {
    (*shared_done)(Admission::Busy());
  }
}

void MethodTable::CallStream(const Method& method, const ActorMetadata& actor,
                             absl::string_view connection, const Message& request,
                             StreamWriter* out, Done done) const {
  if (gate_ != nullptr && !gate_->Enter(&done)) return;
  absl::StatusOr<std::string> checked = ActorFromMetadata(actor.text, actor.binary);
  if (!checked.ok()) return done(checked.status());
  const bool watch = method.kind == Method::Kind::kWatch;
  const int limit =
      watch ? stream_limits_.watches_per_connection : stream_limits_.exports_per_connection;
  if (limit > 0) {
    auto key = std::make_pair(std::string(connection), method.kind);
    int open = 0;
    {
      absl::MutexLock lock(&streams_mu_);
      int& count = open_streams_[key];
      open = count;
      if (count < limit) ++count;
    }
    if (open >= limit) {  // answered outside the lock: done may run the transport's code
      return done(watch ? Error(absl::StatusCode::kResourceExhausted, v1::reason::kTooManyWatchers,
                                absl::StrCat("this connection has ", open,
                                             " watchers open, as many as one may have; "
                                             "end one, or watch from another connection"))
                        : Error(absl::StatusCode::kResourceExhausted, v1::reason::kTooManyExports,
                                absl::StrCat("this connection runs ", open,
                                             " exports, as many as one may; retry once one "
                                             "has ended")));
    }
    done = [this, key = std::move(key), done = std::move(done)](absl::Status status) {
      {
        absl::MutexLock lock(&streams_mu_);
        if (--open_streams_[key] == 0) open_streams_.erase(key);
      }
      done(std::move(status));
    };
  }
  method.stream(Caller{*std::move(checked)}, request, out, std::move(done));
}

}  // namespace d06::api
