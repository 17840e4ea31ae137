#include "server/core/core.h"

#include <optional>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/synchronization/notification.h"
#include "d06/v1/api_names.h"
#include "google/protobuf/empty.pb.h"
#include "server/core/rules.h"
#include "server/domain/dates.h"
#include "server/domain/errors.h"
#include "server/domain/fingerprint.h"
#include "server/domain/periods.h"
#include "server/domain/timeliness.h"
#include "server/domain/validation.h"
#include "server/model/report_counters.h"
#include "storage/status_macros.h"

namespace d06 {

Core::Core(Store* store, CoreOptions options) : store_(store), options_(std::move(options)) {}

void Core::Decorate(v1::Assignment* a, absl::CivilDay today) const {
  a->set_timeliness(ComputeTimeliness(TimelinessInputOf(*a), today, options_.due_soon_days));
  a->set_missing_period_reports(MissingPeriodReports(*a, today));
}

namespace {

// The payload that marks the end of a validate_only mutation: its batch is dropped, and
// the runner answers OK.
constexpr absl::string_view kValidatedOnly = "d06.validate_only";

// Whether `request` asks only to be validated (AIP-163): its bool field validate_only,
// which every mutating request has (tests/integration/validate_only_test.cc checks).
bool ValidateOnly(const google::protobuf::Message& request) {
  const google::protobuf::FieldDescriptor* field =
      request.GetDescriptor()->FindFieldByName("validate_only");
  return field != nullptr && field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_BOOL &&
         !field->is_repeated() && request.GetReflection()->GetBool(request, field);
}

}  // namespace

void Core::Mutate(const Caller& caller, const std::string& request_id,
                  const google::protobuf::Message& request, google::protobuf::Message* response,
                  Body body, Done done) {
  if (absl::Status s = ValidateRequestId(request_id); !s.ok()) return done(s);
  // validate_only runs the whole mutation on the writer, as a real one, against the same
  // state: every check (names, etag, state machine, permissions, limits) and the response
  // it would give. Then the body fails on purpose with a marked status, so that the store
  // drops the batch (no entity, index, event, counter or idempotency record is written,
  // and no revision is taken), and the answer is OK with that response.
  const bool validate_only = ValidateOnly(request);
  if (validate_only) {
    done = [done = std::move(done)](absl::Status status) {
      done(status.GetPayload(kValidatedOnly).has_value() ? absl::OkStatus() : std::move(status));
    };
  }
  // A request_id names one request whatever its method: the fingerprint covers the
  // request's type, so reusing an id for another method is REQUEST_ID_REUSED.
  const uint64_t fingerprint = request_id.empty() ? 0 : Fingerprint(request);
  // Idempotency records are per principal: another principal's request_id is a new
  // request, never the first one's stored answer.
  std::string record_key = request_id;
  if (!request_id.empty() && caller.principal != nullptr) {
    record_key = absl::StrCat(caller.principal->name(), std::string(1, '\0'), request_id);
  }
  store_->Submit(
      [this, caller, request_id, record_key, fingerprint, response, validate_only,
       body = std::move(body)](Txn& txn) -> absl::Status {
        if (!request_id.empty()) {
          ASSIGN_OR_RETURN(std::optional<IdempotencyRecord> stored,
                           LoadIdempotencyRecord(txn.reader(), record_key));
          if (stored.has_value()) {
            if (stored->fingerprint != fingerprint) {
              return Error(absl::StatusCode::kInvalidArgument, v1::reason::kRequestIdReused,
                           "request_id was already used for a different request; use a new "
                           "request_id for a new request",
                           {{"field", "request_id"}});
            }
            if (!response->ParseFromString(stored->response)) {
              return absl::DataLossError("idempotency record does not parse");
            }
            return absl::OkStatus();  // the first answer, nothing written
          }
        }
        const ChangeContext change{
            caller.actor,           caller.via, request_id, options_.clock->Now(),
            options_.due_soon_days, &caller};
        RETURN_IF_ERROR(body(txn, change));
        RETURN_IF_ERROR(FlushReportCounters(txn, DayNumber(DayInVietnam(change.time))));
        if (validate_only) {
          absl::Status discard = absl::AbortedError("validate_only: nothing is written");
          discard.SetPayload(kValidatedOnly, absl::Cord());
          return discard;
        }
        if (!request_id.empty()) {
          PutIdempotencyRecord(txn, record_key, {fingerprint, response->SerializeAsString()});
        }
        return absl::OkStatus();
      },
      std::move(done));
}

absl::Status Core::MutateAsServer(Body body) {
  const google::protobuf::Empty request;
  google::protobuf::Empty response;
  absl::Status result;
  absl::Notification finished;
  Caller server;
  server.actor = kServerActor;
  Mutate(server, "", request, &response, std::move(body), [&](absl::Status status) {
    result = std::move(status);
    finished.Notify();
  });
  finished.WaitForNotification();
  return result;
}

absl::StatusOr<v1::Event*> Core::WriteAssignment(Txn& txn, const ChangeContext& change,
                                                 const v1::Task& task, const v1::Assignment* before,
                                                 v1::Assignment* after, v1::EventAction action,
                                                 const std::vector<std::string>& changed) const {
  *after->mutable_update_time() = ToTimestamp(change.time);
  after->set_etag(Etag(txn.revision()));
  Decorate(after, DayInVietnam(change.time));
  ASSIGN_OR_RETURN(v1::Event * event, PutAssignment(txn, change, task, before, *after, action));
  for (const std::string& field : changed) event->add_changed_fields(field);
  return event;
}

}  // namespace d06
