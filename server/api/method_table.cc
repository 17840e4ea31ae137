#include "server/api/method_table.h"

#include <cstdlib>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "d06/v1/api_names.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/message.h"
#include "server/domain/authorization.h"
#include "server/domain/errors.h"
#include "server/domain/names.h"
#include "storage/status_macros.h"

namespace d06::api {
namespace {

[[noreturn]] void Die(const std::string& what) {
  log::Error(absl::StrCat("method table: ", what));
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
  method.policy = descriptor->options().GetExtension(v1::policy);
  const google::protobuf::FieldDescriptor* request_id = request->FindFieldByName("request_id");
  if (request_id != nullptr &&
      request_id->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
      !request_id->is_repeated()) {
    method.request_id = request_id;
  }
  return method;
}

void MethodTable::Seal() const {
  for (const auto* service : services_) {
    for (int i = 0; i < service->method_count(); ++i) {
      const Method* method = Find(service->method(i)->full_name());
      if (method == nullptr) Die(absl::StrCat(service->method(i)->full_name(), " has no handler"));
      if (!PolicyIsDeclared(method->policy)) {
        Die(absl::StrCat(service->method(i)->full_name(),
                         " declares no policy: give it option (d06.v1.policy) in its .proto"));
      }
    }
  }
}

const Method* MethodTable::Find(absl::string_view full_name) const {
  auto it = methods_.find(full_name);
  return it == methods_.end() ? nullptr : &it->second;
}

absl::StatusOr<Caller> MethodTable::Authenticate(const Method& method,
                                                 const CallContext& context) const {
  Caller caller;
  if (authenticator_ != nullptr) {
    ASSIGN_OR_RETURN(caller, authenticator_->Authenticate(context));
  } else {
    const absl::string_view* text = context.actor_text ? &*context.actor_text : nullptr;
    const absl::string_view* binary = context.actor_binary ? &*context.actor_binary : nullptr;
    ASSIGN_OR_RETURN(caller.actor, ActorFromMetadata(text, binary));
  }
  caller.rpc = method.descriptor->name();
  caller.policy = &method.policy;
  return caller;
}

std::optional<Caller> MethodTable::Admit(const Method& method, const CallContext& context,
                                         Done* done) const {
  absl::StatusOr<Caller> caller = Authenticate(method, context);
  if (!caller.ok()) {
    // The authenticator may slow the answer down (a peer that keeps failing).
    if (authenticator_ == nullptr) {
      (*done)(caller.status());
    } else {
      authenticator_->Refuse(context, caller.status(), std::move(*done));
    }
    return std::nullopt;
  }
  // Streams are held to a number open at once instead (CallStream).
  if (rate_limiter_ != nullptr && !method.server_streaming() &&
      !rate_limiter_->Admit(*caller, method.kind == Method::Kind::kWrite,
                            context.transport == CallContext::Transport::kGrpc, done)) {
    return std::nullopt;
  }
  if (absl::Status allowed = CheckHeldAnywhere(*caller); !allowed.ok()) {
    (*done)(std::move(allowed));
    return std::nullopt;
  }
  if (absl::Now() >= context.deadline) {
    (*done)(absl::DeadlineExceededError(
        "the call's deadline passed before it could run; nothing was done"));
    return std::nullopt;
  }
  return *std::move(caller);
}

absl::string_view RefusalName(Refusal refusal) {
  switch (refusal) {
    case Refusal::kMalformed:
      return "malformed";
    case Refusal::kTooLarge:
      return "too_large";
    case Refusal::kUnsupportedMedia:
      return "unsupported_media_type";
    case Refusal::kUnknownMethod:
      return "unknown_method";
    case Refusal::kBusy:
      return "busy";
  }
  return "unknown";
}

Done MethodTable::Observed(const Method& method, const CallContext& context, const Message& request,
                           const Message* response, std::shared_ptr<CallRecord>* record,
                           Done done) const {
  if (observers_.empty()) return done;
  for (CallObserver* observer : observers_) observer->CallStarted(method);
  auto r = std::make_shared<CallRecord>();
  r->method = &method;
  r->transport = context.transport;
  r->peer = std::string(context.peer);
  if (method.request_id != nullptr) {
    r->request_id = request.GetReflection()->GetString(request, method.request_id);
  }
  r->bytes_in = request.ByteSizeLong();
  *record = r;
  return [this, r, response, start = absl::Now(), done = std::move(done)](absl::Status status) {
    r->duration = absl::Now() - start;
    if (status.ok() && response != nullptr) r->bytes_out = response->ByteSizeLong();
    r->status = status;
    for (CallObserver* observer : observers_) observer->CallEnded(*r);
    done(std::move(status));
  };
}

void MethodTable::Call(const Method& method, const CallContext& context, const Message& request,
                       Message* response, Done done) const {
  std::shared_ptr<CallRecord> record;
  done = Observed(method, context, request, response, &record, std::move(done));
  if (gate_ != nullptr && !gate_->Enter(&done)) return;
  std::optional<Caller> caller = Admit(method, context, &done);
  if (!caller) return;
  if (record != nullptr) record->principal = caller->actor;
  if (method.kind != Method::Kind::kBulkRead || admission_ == nullptr) {
    return method.unary(*caller, request, response, std::move(done));
  }
  // The transport keeps request and response until done runs.
  auto shared_done = std::make_shared<Done>(std::move(done));
  if (!admission_->Submit([&method, caller = *std::move(caller), &request, response, shared_done] {
        method.unary(caller, request, response, std::move(*shared_done));
      })) {
    (*shared_done)(Admission::Busy());
  }
}

namespace {

// How often an open stream's credential is checked again while it sends nothing (the
// watch looks at Gone() about as often), besides at every message.
constexpr absl::Duration kRecheckInterval = absl::Milliseconds(250);

// The writer a stream's handler gets: ends the stream once the caller's credential no
// longer holds (Authenticator::Recheck), as if its client had gone; the stream then
// finishes with failure() instead of the handler's status.
class RecheckedWriter final : public StreamWriter {
 public:
  RecheckedWriter(StreamWriter* out, const Authenticator* authenticator, Caller caller)
      : out_(out), authenticator_(authenticator), caller_(std::move(caller)) {}

  bool Write(const Message& message) override {
    return WriteBefore(message, absl::InfiniteFuture()) == Written::kWritten;
  }
  Written WriteBefore(const Message& message, absl::Time deadline) override {
    if (!Holds(/*now=*/true)) return Written::kGone;
    return out_->WriteBefore(message, deadline);
  }
  bool Gone() override { return !Holds(/*now=*/false) || out_->Gone(); }
  void Cancel() override { out_->Cancel(); }

  // Why the credential stopped holding; OK while it holds.
  absl::Status failure() {
    absl::MutexLock lock(&mu_);
    return failure_;
  }

 private:
  // Checks the credential at once when `now`, else at most every kRecheckInterval.
  bool Holds(bool now) {
    absl::MutexLock lock(&mu_);
    if (!failure_.ok()) return false;
    const absl::Time t = absl::Now();
    if (!now && t - checked_ < kRecheckInterval) return true;
    checked_ = t;
    failure_ = authenticator_->Recheck(caller_);
    return failure_.ok();
  }

  StreamWriter* const out_;
  const Authenticator* const authenticator_;
  const Caller caller_;
  absl::Mutex mu_;
  absl::Time checked_ ABSL_GUARDED_BY(mu_) = absl::Now();
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

int MethodTable::TakeSlot(const std::string& key, Method::Kind kind, int limit) const {
  absl::MutexLock lock(&streams_mu_);
  int& count = open_streams_[std::make_pair(key, kind)];
  const int open = count;
  if (count < limit) ++count;
  if (count == 0) open_streams_.erase(std::make_pair(key, kind));
  return open;
}

void MethodTable::ReleaseSlot(const std::string& key, Method::Kind kind) const {
  absl::MutexLock lock(&streams_mu_);
  auto it = open_streams_.find(std::make_pair(key, kind));
  if (it != open_streams_.end() && --it->second <= 0) open_streams_.erase(it);
}

void MethodTable::CallStream(const Method& method, const CallContext& context,
                             const Message& request, StreamWriter* out, Done done) const {
  std::shared_ptr<CallRecord> record;
  done = Observed(method, context, request, nullptr, &record, std::move(done));
  if (gate_ != nullptr && !gate_->Enter(&done)) return;
  std::optional<Caller> caller = Admit(method, context, &done);
  if (!caller) return;
  if (record != nullptr) record->principal = caller->actor;
  const bool watch = method.kind == Method::Kind::kWatch;
  // Slots taken, released when the stream ends.
  std::vector<std::string> held;
  const int connection_limit =
      watch ? stream_limits_.watches_per_connection : stream_limits_.exports_per_connection;
  if (connection_limit > 0) {
    std::string key(context.peer);
    const int open = TakeSlot(key, method.kind, connection_limit);
    if (open >= connection_limit) {  // answered outside the lock: done may run the transport's
      return done(watch ? Error(absl::StatusCode::kResourceExhausted, v1::reason::kTooManyWatchers,
                                absl::StrCat("this connection has ", open,
                                             " watchers open, as many as one may have; "
                                             "end one, or watch from another connection"))
                        : Error(absl::StatusCode::kResourceExhausted, v1::reason::kTooManyExports,
                                absl::StrCat("this connection runs ", open,
                                             " exports, as many as one may; retry once one "
                                             "has ended")));
    }
    held.push_back(std::move(key));
  }
  const std::string& who = PrincipalLimiter::Accountable(*caller);
  const int principal_limit =
      watch ? stream_limits_.watches_per_principal : stream_limits_.exports_per_principal;
  if (principal_limit > 0 && !who.empty()) {
    std::string key = absl::StrCat("p:", who);
    const int open = TakeSlot(key, method.kind, principal_limit);
    if (open >= principal_limit) {
      for (const std::string& k : held) ReleaseSlot(k, method.kind);
      const ErrorMetadata limit = {{"limit", absl::StrCat(principal_limit)}};
      return done(
          watch ? Error(absl::StatusCode::kResourceExhausted, v1::reason::kTooManyWatchers,
                        absl::StrCat(who, " has ", open,
                                     " watchers open, as many as a principal may have (",
                                     principal_limit, "); end one first"),
                        limit)
                : Error(absl::StatusCode::kResourceExhausted, v1::reason::kTooManyExports,
                        absl::StrCat(who, " runs ", open, " exports, as many as a principal may (",
                                     principal_limit, "); retry once one has ended"),
                        limit));
    }
    held.push_back(std::move(key));
  }
  if (!held.empty()) {
    done = [this, kind = method.kind, held = std::move(held),
            done = std::move(done)](absl::Status status) {
      for (const std::string& key : held) ReleaseSlot(key, kind);
      done(std::move(status));
    };
  }
  if (authenticator_ == nullptr) return method.stream(*caller, request, out, std::move(done));
  // The handler's writer lives until its done, which reports a lapsed credential.
  auto checked = std::make_shared<RecheckedWriter>(out, authenticator_, *caller);
  RecheckedWriter* writer = checked.get();
  method.stream(
      *std::move(caller), request, writer,
      [checked = std::move(checked), done = std::move(done)](absl::Status status) mutable {
        if (absl::Status failure = checked->failure(); !failure.ok()) {
          status = std::move(failure);
        }
        checked.reset();
        done(std::move(status));
      });
}

}  // namespace d06::api
