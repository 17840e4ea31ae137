// Authorisation (d06d --auth=required; proto/d06/v1/policy.proto): every RPC of every
// service answers each principal by its role and the unit tree — NOT_FOUND outside the
// caller's bindings, PERMISSION_DENIED/ROLE_REQUIRED inside them without the role, and a
// refused call changes nothing — over gRPC (one table, enumerated from the descriptors)
// and Connect; nothing of another province leaks through lists, searches, page tokens,
// reports, exports or the feed; nobody grants beyond their own admin scope; a ministry's
// task is seen by both its partner provinces; request_ids are per principal.
//
// The fixture, built through the API by the bootstrap admin for every test:
//
//   BCA (ministry)      H40 (province)              H29 (province)
//                       ├── H40.01 (department)     └── H29.01 (department)
//                       └── H40.02 (department)
//
//   T1: H40 assigns H40.01 (lead) and H40.02 (support)
//   T2: BCA assigns H40 (lead) and H29 (support)
//   T3: H29 assigns H29.01 (lead)
//
//   viewer-h40 VIEWER@H40, member-h40-01 MEMBER@H40.01, coord-h40 COORDINATOR@H40,
//   admin-h40 ADMIN@H40, viewer-h29 VIEWER@H29, coord-bca COORDINATOR@BCA, none (no
//   bindings).
#include <grpcpp/generic/generic_stub.h>

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/dates.h"
#include "d06/v1/access.grpc.pb.h"
#include "d06/v1/report.grpc.pb.h"
#include "d06/v1/task.grpc.pb.h"
#include "d06/v1/unit.grpc.pb.h"
#include "d06/v1/watch.grpc.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/message.h"
#include "google/protobuf/text_format.h"
#include "server/api/core_methods.h"
#include "server/domain/dates.h"
#include "tests/testing/own_connection.h"
#include "tests/testing/raw_http.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

using ::google::protobuf::Message;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

constexpr absl::StatusCode OK = absl::StatusCode::kOk;
constexpr absl::StatusCode NF = absl::StatusCode::kNotFound;
constexpr absl::StatusCode PD = absl::StatusCode::kPermissionDenied;
constexpr absl::StatusCode FP = absl::StatusCode::kFailedPrecondition;

// The principals of the fixture, in the order of the table's columns.
constexpr std::array<const char*, 7> kPrincipals = {
    "viewer-h40", "member-h40-01", "coord-h40", "admin-h40", "viewer-h29", "coord-bca", "none"};

// The status a principal expects: NOT_FOUND and PERMISSION_DENIED with their reasons.
::testing::Matcher<absl::Status> Answer(absl::StatusCode code) {
  switch (code) {
    case OK:
      return IsOk();
    case NF:
      return IsError(NF, "NOT_FOUND");
    case PD:
      return IsError(PD, "ROLE_REQUIRED");
    default:
      return ::testing::Property(&absl::Status::code, code);
  }
}

template <typename M>
M Text(const std::string& text) {
  M message;
  if (!google::protobuf::TextFormat::ParseFromString(text, &message)) {
    throw std::runtime_error("bad text proto: " + text);
  }
  return message;
}

// What a row of the table acts on: a fresh task of `assigning` whose lead assignment
// to H40.01 is brought to a state first.
// What a row needs made first: a task whose H40.01 lead is in a given state, or two
// departments of its own (merged or dissolved by the row).
enum class Prep {
  kNone,
  kNotStarted,
  kInProgress,
  kPending,
  kCompleted,
  kExtension,
  kRecurring,
  kUnits
};

class AuthzTest : public ServerTest {
 protected:
  void ConfigureServer(ServerOptions& options) override {
    // These tests are about roles, not limits (tests/integration/limits_test.cc): the
    // admin asks the revision with a watch after every call, faster than cancelled watches
    // give their places back, and calls as fast as the machine goes.
    options.rate_limits = "off";
    options.max_watchers_per_principal = 1000;
    RequireAuthentication(options);
    tokens_["admin"] = admin_token_;
  }

  void SetUp() override {
    ServerTest::SetUp();
    if (HasFatalFailure()) return;
    channel_ = grpc::CreateChannel(target(), grpc::InsecureChannelCredentials());
    MustUnit("BCA", v1::UNIT_KIND_MINISTRY, "");
    MustUnit("H40", v1::UNIT_KIND_PROVINCE, "");
    MustUnit("H40.01", v1::UNIT_KIND_DEPARTMENT, "units/H40");
    MustUnit("H40.02", v1::UNIT_KIND_DEPARTMENT, "units/H40");
    MustUnit("H29", v1::UNIT_KIND_PROVINCE, "");
    MustUnit("H29.01", v1::UNIT_KIND_DEPARTMENT, "units/H29");
    MustPrincipal("viewer-h40", "units/H40", {{v1::ROLE_VIEWER, "units/H40"}});
    MustPrincipal("member-h40-01", "units/H40.01", {{v1::ROLE_MEMBER, "units/H40.01"}});
    MustPrincipal("coord-h40", "units/H40", {{v1::ROLE_COORDINATOR, "units/H40"}});
    MustPrincipal("admin-h40", "units/H40", {{v1::ROLE_ADMIN, "units/H40"}});
    MustPrincipal("viewer-h29", "units/H29", {{v1::ROLE_VIEWER, "units/H29"}});
    MustPrincipal("coord-bca", "units/BCA", {{v1::ROLE_COORDINATOR, "units/BCA"}});
    MustPrincipal("none", "units/H40", {});
    t1_ = MustTask("units/H40", kT1Title,
                   {{"units/H40.01", v1::ASSIGNMENT_ROLE_LEAD},
                    {"units/H40.02", v1::ASSIGNMENT_ROLE_SUPPORT}});
    t2_ = MustTask(
        "units/BCA", kT2Title,
        {{"units/H40", v1::ASSIGNMENT_ROLE_LEAD}, {"units/H29", v1::ASSIGNMENT_ROLE_SUPPORT}});
    t3_ = MustTask("units/H29", kT3Title, {{"units/H29.01", v1::ASSIGNMENT_ROLE_LEAD}});
    a1_ = t1_ + "/assignments/H40.01";
    // Some history of T1 and T3: an urge and a progress report each.
    for (const std::string& a : {a1_, t3_ + "/assignments/H29.01"}) {
      Must(Call<v1::UrgeAssignmentResponse>("admin", "TaskService/UrgeAssignment",
                                            Text<v1::UrgeAssignmentRequest>(absl::StrCat(
                                                "name: '", a, "' message: 'Đề nghị khẩn trương'"))),
           "urge");
      Must(Call<v1::ReportAssignmentProgressResponse>(
               "admin", "TaskService/ReportAssignmentProgress",
               Text<v1::ReportAssignmentProgressRequest>(
                   absl::StrCat("name: '", a, "' percent: 20 note: 'Đang triển khai'"))),
           "progress");
    }
    // A spare token of member-h40-01, for RevokeToken.
    spare_token_ =
        Must(CreateTokenFor("admin", "principals/member-h40-01"), "spare").token().name();
  }

  // ---- calling as a principal -----------------------------------------------------------

  const std::string& TokenOf(const std::string& who) {
    auto it = tokens_.find(who);
    if (it == tokens_.end()) throw std::runtime_error("no token for " + who);
    return it->second;
  }

  // Calls "/d06.v1.<method>" ("TaskService/GetTask") as `who` with `request`; a server
  // stream answers OK once its first message arrives, and that message is the response.
  absl::Status Invoke(const std::string& who, const std::string& method, const Message& request,
                      Message* response, bool server_streaming = false) {
    const std::string path = absl::StrCat("/d06.v1.", method);
    grpc::GenericStub stub(channel_);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx.AddMetadata("authorization", "Bearer " + TokenOf(who));
    const std::string bytes = request.SerializeAsString();
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request_buffer(&slice, 1), response_buffer;
    grpc::Status status;
    bool got_message = false;
    if (server_streaming) {
      grpc::CompletionQueue cq;
      auto rw = stub.PrepareCall(&ctx, path, &cq);
      void* tag;
      bool ok;
      rw->StartCall(reinterpret_cast<void*>(1));
      cq.Next(&tag, &ok);
      rw->Write(request_buffer, reinterpret_cast<void*>(2));
      cq.Next(&tag, &ok);
      rw->WritesDone(reinterpret_cast<void*>(3));
      cq.Next(&tag, &ok);
      rw->Read(&response_buffer, reinterpret_cast<void*>(4));
      cq.Next(&tag, &ok);
      got_message = ok;
      if (got_message) ctx.TryCancel();
      rw->Finish(&status, reinterpret_cast<void*>(5));
      cq.Next(&tag, &ok);
      cq.Shutdown();
      while (cq.Next(&tag, &ok)) {
      }
    } else {
      absl::Notification done;
      stub.UnaryCall(&ctx, path, grpc::StubOptions(), &request_buffer, &response_buffer,
                     [&](grpc::Status s) {
                       status = std::move(s);
                       done.Notify();
                     });
      done.WaitForNotification();
      got_message = status.ok();
    }
    if (!got_message) return client::FromGrpcStatus(status);
    if (response != nullptr) {
      grpc::Slice out;
      if (!response_buffer.DumpToSingleSlice(&out).ok() ||
          !response->ParseFromArray(out.begin(), static_cast<int>(out.size()))) {
        return absl::InternalError("unparsable response of " + method);
      }
    }
    return absl::OkStatus();
  }

  template <typename Response>
  absl::StatusOr<Response> Call(const std::string& who, const std::string& method,
                                const Message& request) {
    Response response;
    absl::Status s = Invoke(who, method, request, &response);
    if (!s.ok()) return s;
    return response;
  }

  // Every page of a list as `who`, one item a page: the names of the items (`name_of`);
  // fails the test when a page holds more than one item or the list does not end.
  template <typename Request, typename Response, typename Items>
  absl::StatusOr<std::vector<std::string>> Paged(const std::string& who, const std::string& method,
                                                 Request request, Items items) {
    request.set_page_size(1);
    std::vector<std::string> names;
    for (int page = 0; page < 100; ++page) {
      absl::StatusOr<Response> r = Call<Response>(who, method, request);
      if (!r.ok()) return r.status();
      EXPECT_LE(items(*r).size(), 1) << method << " as " << who;
      for (const auto& item : items(*r)) names.push_back(ItemName(item));
      if (r->next_page_token().empty()) return names;
      request.set_page_token(r->next_page_token());
    }
    ADD_FAILURE() << method << " as " << who << " does not end";
    return names;
  }
  static std::string ItemName(const v1::Event& e) { return e.resource(); }
  template <typename T>
  static std::string ItemName(const T& item) {
    return item.name();
  }

  // The store's current revision, as the change feed's first response says it.
  // Each asks on a connection of its own: a cancelled watch keeps its place among a
  // connection's 16 for up to 250 ms.
  int64_t Revision() {
    auto channel = OwnConnection(target());
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx.AddMetadata("authorization", "Bearer " + TokenOf("admin"));
    auto reader = v1::EventService::NewStub(channel)->Watch(&ctx, v1::WatchRequest());
    v1::WatchResponse response;
    if (!reader->Read(&response)) throw std::runtime_error("no revision from Watch");
    ctx.TryCancel();
    (void)reader->Finish();
    return response.revision();
  }

  // The change feed from revision 1 as `who`, up to the current revision.
  std::vector<v1::Event> FeedOf(const std::string& who) {
    const int64_t through = Revision();
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx.AddMetadata("authorization", "Bearer " + TokenOf(who));
    v1::WatchRequest request;
    request.set_start_revision(1);
    request.set_progress_interval_ms(100);
    auto reader = v1::EventService::NewStub(channel_)->Watch(&ctx, request);
    std::vector<v1::Event> events;
    v1::WatchResponse response;
    while (reader->Read(&response)) {
      events.insert(events.end(), response.events().begin(), response.events().end());
      if (response.revision() >= through) break;
    }
    EXPECT_GE(response.revision(), through) << "the feed of " << who << " ended early";
    ctx.TryCancel();
    (void)reader->Finish();
    return events;
  }

  // The bytes of an export as `who` (the CSV file), or its error.
  template <typename Request>
  absl::StatusOr<std::string> Export(const std::string& who, const Request& request) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx.AddMetadata("authorization", "Bearer " + TokenOf(who));
    std::string csv;
    grpc::Status status;
    if constexpr (std::is_same_v<Request, v1::ExportAssignmentsRequest>) {
      auto reader = v1::TaskService::NewStub(channel_)->ExportAssignments(&ctx, request);
      v1::ExportAssignmentsResponse r;
      while (reader->Read(&r)) csv += r.data();
      status = reader->Finish();
    } else {
      auto reader = v1::ReportService::NewStub(channel_)->ExportSummary(&ctx, request);
      v1::ExportSummaryResponse r;
      while (reader->Read(&r)) csv += r.data();
      status = reader->Finish();
    }
    if (!status.ok()) return client::FromGrpcStatus(status);
    return csv;
  }

  // ---- building the fixture (as the bootstrap admin) -------------------------------------

  void MustUnit(const std::string& code, v1::UnitKind kind, const std::string& parent) {
    v1::CreateUnitRequest request;
    request.mutable_unit()->set_code(code);
    request.mutable_unit()->set_display_name(UnitTitle(code));
    request.mutable_unit()->set_kind(kind);
    request.mutable_unit()->set_parent(parent);
    Must(Call<v1::CreateUnitResponse>("admin", "UnitService/CreateUnit", request), code);
  }
  // A display name found nowhere else ("Đơn vị H40.01" would match "Đơn vị H40").
  static std::string UnitTitle(const std::string& code) { return "Đơn vị [" + code + "]"; }

  v1::CreatePrincipalRequest PrincipalRequest(
      const std::string& id, const std::string& unit,
      const std::vector<std::pair<v1::Role, std::string>>& bindings) {
    v1::CreatePrincipalRequest request;
    request.set_principal_id(id);
    request.mutable_principal()->set_display_name("Người " + id);
    request.mutable_principal()->set_kind(v1::PRINCIPAL_KIND_PERSON);
    request.mutable_principal()->set_unit(unit);
    for (const auto& [role, at] : bindings) {
      v1::RoleBinding* b = request.mutable_principal()->add_bindings();
      b->set_role(role);
      b->set_unit(at);
    }
    return request;
  }

  absl::StatusOr<v1::CreateTokenResponse> CreateTokenFor(const std::string& as,
                                                         const std::string& principal) {
    v1::CreateTokenRequest request;
    request.set_parent(principal);
    request.mutable_token()->set_display_name("thử nghiệm");
    *request.mutable_token()->mutable_expire_time() = ToTimestamp(clock().Now() + absl::Hours(24));
    return Call<v1::CreateTokenResponse>(as, "AccessService/CreateToken", request);
  }

  // Creates principal `id` (as `as`) with a token kept under its id.
  void MustPrincipal(const std::string& id, const std::string& unit,
                     const std::vector<std::pair<v1::Role, std::string>>& bindings,
                     const std::string& as = "admin") {
    Must(Call<v1::CreatePrincipalResponse>(as, "AccessService/CreatePrincipal",
                                           PrincipalRequest(id, unit, bindings)),
         "CreatePrincipal " + id);
    v1::CreateTokenResponse token = Must(CreateTokenFor(as, "principals/" + id), "token " + id);
    tokens_[id] = token.secret();
    token_names_[id] = token.token().name();
  }

  // A task with its assignments; its name.
  std::string MustTask(const std::string& assigning, const std::string& title,
                       const std::vector<std::pair<std::string, v1::AssignmentRole>>& assignments,
                       bool recurring = false) {
    v1::CreateTaskRequest request;
    request.mutable_task()->set_title(title);
    request.mutable_task()->set_assigning_unit(assigning);
    request.mutable_task()->set_kind(recurring ? v1::TASK_KIND_RECURRING : v1::TASK_KIND_ONE_OFF);
    if (recurring) request.mutable_task()->set_cadence(v1::CADENCE_MONTHLY);
    for (const auto& [unit, role] : assignments) {
      v1::Assignment* a = request.add_assignments();
      a->set_unit(unit);
      a->set_role(role);
      if (!recurring) *a->mutable_deadline() = Day(2026, 12, 31);
    }
    return Must(Call<v1::CreateTaskResponse>("admin", "TaskService/CreateTask", request), title)
        .task()
        .name();
  }

  // Moves an assignment on as the bootstrap admin: TaskService's `method` with `text`.
  template <typename Request, typename Response>
  void Drive(const std::string& method, const std::string& text) {
    Must(Call<Response>("admin", "TaskService/" + method, Text<Request>(text)), method);
  }

  struct Fresh {
    std::string task, assignment;
    std::string unit_a, unit_b;
  };

  Fresh Prepare(Prep prep, const std::string& assigning) {
    if (prep == Prep::kNone) return {};
    Fresh f;
    if (prep == Prep::kUnits) {
      for (std::string* unit : {&f.unit_a, &f.unit_b}) {
        const std::string code = absl::StrCat("H40.8", fresh_units_++);
        MustUnit(code, v1::UNIT_KIND_DEPARTMENT, "units/H40");
        *unit = "units/" + code;
      }
      return f;
    }
    f.task = MustTask(assigning, "Nhiệm vụ riêng của một dòng",
                      {{"units/H40.01", v1::ASSIGNMENT_ROLE_LEAD}}, prep == Prep::kRecurring);
    f.assignment = f.task + "/assignments/H40.01";
    const std::string name = absl::StrCat("name: '", f.assignment, "'");
    if (prep == Prep::kNotStarted || prep == Prep::kRecurring) return f;
    Drive<v1::StartAssignmentRequest, v1::StartAssignmentResponse>("StartAssignment", name);
    if (prep == Prep::kExtension) {
      Drive<v1::RequestExtensionRequest, v1::RequestExtensionResponse>(
          "RequestExtension",
          name + " deadline { year: 2027 month: 1 day: 31 } reason: 'Cần thêm thời gian'");
    }
    if (prep == Prep::kInProgress || prep == Prep::kExtension) return f;
    Drive<v1::SubmitAssignmentRequest, v1::SubmitAssignmentResponse>("SubmitAssignment", name);
    if (prep == Prep::kPending) return f;
    Drive<v1::ApproveAssignmentRequest, v1::ApproveAssignmentResponse>("ApproveAssignment", name);
    return f;
  }

  static constexpr char kT1Title[] = "Kế hoạch số hoá hộ tịch";
  static constexpr char kT2Title[] = "Kế hoạch liên ngành định danh";
  static constexpr char kT3Title[] = "Kế hoạch cấp căn cước";

  int fresh_units_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
  std::map<std::string, std::string> tokens_;       // principal id -> secret
  std::map<std::string, std::string> token_names_;  // principal id -> its token's name
  std::string t1_, t2_, t3_, a1_, spare_token_;
};

// ---- 1. every RPC, every principal ------------------------------------------------------

// One row per RPC: the request (text format; $T1 and $A1 are T1 and its H40.01 assignment,
// $TASK and $ASSIGNMENT the row's fresh task and its H40.01 lead, $WHO the caller's
// column, $SPARE a token of member-h40-01, $EXPIRE a second a day ahead), the answer of
// each principal (columns as kPrincipals), and the answer to allowed callers after the
// first (the state has moved on), for writes.
struct Row {
  std::string request;
  std::array<absl::StatusCode, 7> expected;
  Prep prep = Prep::kNone;
  std::string assigning = "units/H40";
  absl::StatusCode later = OK;
};

// Admin-only RPCs: no one else holds admin anywhere.
constexpr std::array<absl::StatusCode, 7> kAdminOnly = {PD, PD, PD, OK, PD, PD, PD};
// Backups and the consistency check: only an admin of every unit, which none of them is.
constexpr std::array<absl::StatusCode, 7> kEveryUnitAdmin = {PD, PD, PD, PD, PD, PD, PD};
// Reads of H40's things (T1, H40.01): H40's principals see them, H29 and BCA do not.
constexpr std::array<absl::StatusCode, 7> kH40Read = {OK, OK, OK, OK, NF, NF, PD};
// Lists and the feed: any viewer, limited to its scope.
constexpr std::array<absl::StatusCode, 7> kAnyViewer = {OK, OK, OK, OK, OK, OK, PD};
// Coordinator writes on an H40 task.
constexpr std::array<absl::StatusCode, 7> kH40Coordinator = {PD, PD, OK, OK, PD, NF, PD};
// Member writes on an H40.01 assignment of an H40 task.
constexpr std::array<absl::StatusCode, 7> kH4001Member = {PD, OK, OK, OK, PD, NF, PD};

std::map<std::string, Row> Table() {
  using P = Prep;
  return {
      // UnitService
      {"d06.v1.UnitService.CreateUnit",
       {"unit { code: 'H40.9$WHO' display_name: 'Phòng mới' kind: UNIT_KIND_DEPARTMENT "
        "parent: 'units/H40' }",
        kAdminOnly}},
      {"d06.v1.UnitService.GetUnit", {"name: 'units/H40.01'", kH40Read}},
      {"d06.v1.UnitService.ListUnits", {"page_size: 10", kAnyViewer}},
      {"d06.v1.UnitService.UpdateUnit",
       {"unit { name: 'units/H40.02' display_name: 'Phòng đổi tên' } "
        "update_mask { paths: 'display_name' }",
        kAdminOnly}},
      // Stays within H40's subtree, so the other rows see the same scopes.
      {"d06.v1.UnitService.MoveUnit",
       {"name: 'units/H40.02' new_parent: 'units/H40.01' "
        "effective_date { year: 2020 month: 1 day: 1 } reason: 'Quyết định 2/QĐ-UBND'",
        kAdminOnly}},
      {"d06.v1.UnitService.MergeUnits",
       {"names: '$UNIT_A' successor: '$UNIT_B' effective_date { year: 2020 month: 1 day: 1 } "
        "reason: 'Nghị quyết 1/NQ-HĐND'",
        kAdminOnly, P::kUnits}},
      {"d06.v1.UnitService.DissolveUnit",
       {"name: '$UNIT_A' successor: '$UNIT_B' effective_date { year: 2020 month: 1 day: 1 } "
        "reason: 'Nghị quyết 2/NQ-HĐND'",
        kAdminOnly, P::kUnits}},
      {"d06.v1.UnitService.RenameUnit",
       {"name: 'units/H40.02' display_name: 'Phòng đổi tên $WHO' "
        "effective_date { year: 2020 month: 1 day: 1 } reason: 'Quyết định 1/QĐ-UBND'",
        kAdminOnly}},
      // TaskService
      {"d06.v1.TaskService.CreateTask",
       {"task { title: 'Nhiệm vụ mới' kind: TASK_KIND_ONE_OFF assigning_unit: 'units/H40' }",
        kH40Coordinator}},
      {"d06.v1.TaskService.GetTask", {"name: '$T1'", kH40Read}},
      {"d06.v1.TaskService.ListTasks", {"page_size: 10", kAnyViewer}},
      {"d06.v1.TaskService.UpdateTask",
       {"task { name: '$TASK' title: 'Tên mới' } update_mask { paths: 'title' }", kH40Coordinator,
        P::kNotStarted}},
      {"d06.v1.TaskService.CancelTask",
       {"name: '$TASK' reason: 'Không còn cần'", kH40Coordinator, P::kNotStarted, "units/H40", FP}},
      // A coordinator assigns to any active unit, another province's too.
      {"d06.v1.TaskService.CreateAssignment",
       {"parent: '$TASK' assignment { unit: 'units/H29.01' role: ASSIGNMENT_ROLE_SUPPORT }",
        kH40Coordinator, P::kNotStarted, "units/H40", absl::StatusCode::kAlreadyExists}},
      // member-h40-01 sees every assignment of a task it works on.
      {"d06.v1.TaskService.GetAssignment", {"name: '$T1/assignments/H40.02'", kH40Read}},
      {"d06.v1.TaskService.ListAssignments", {"parent: 'tasks/-'", kAnyViewer}},
      {"d06.v1.TaskService.StartAssignment",
       {"name: '$ASSIGNMENT'", kH4001Member, P::kNotStarted, "units/H40", FP}},
      {"d06.v1.TaskService.ReportAssignmentProgress",
       {"name: '$ASSIGNMENT' percent: 30 note: 'Đang làm'", kH4001Member, P::kNotStarted}},
      {"d06.v1.TaskService.SubmitAssignment",
       {"name: '$ASSIGNMENT'", kH4001Member, P::kInProgress, "units/H40", FP}},
      {"d06.v1.TaskService.ApproveAssignment",
       {"name: '$ASSIGNMENT'", kH40Coordinator, P::kPending, "units/H40", FP}},
      {"d06.v1.TaskService.ReturnAssignment",
       {"name: '$ASSIGNMENT' reason: 'Chưa đạt'", kH40Coordinator, P::kPending, "units/H40", FP}},
      {"d06.v1.TaskService.DeclineAssignment",
       {"name: '$ASSIGNMENT' reason: 'Không đủ nguồn lực'", kH4001Member, P::kNotStarted,
        "units/H40", FP}},
      {"d06.v1.TaskService.RevokeAssignment",
       {"name: '$ASSIGNMENT' reason: 'Giao nhầm'", kH40Coordinator, P::kNotStarted, "units/H40",
        FP}},
      {"d06.v1.TaskService.ReopenAssignment",
       {"name: '$ASSIGNMENT' reason: 'Làm lại'", kH40Coordinator, P::kCompleted, "units/H40", FP}},
      {"d06.v1.TaskService.RequestExtension",
       {"name: '$ASSIGNMENT' deadline { year: 2027 month: 1 day: 31 } reason: 'Cần thêm'",
        kH4001Member, P::kInProgress, "units/H40", FP}},
      {"d06.v1.TaskService.ApproveExtension",
       {"name: '$ASSIGNMENT' note: 'Đồng ý'", kH40Coordinator, P::kExtension, "units/H40", FP}},
      {"d06.v1.TaskService.RefuseExtension",
       {"name: '$ASSIGNMENT' note: 'Không đồng ý'", kH40Coordinator, P::kExtension, "units/H40",
        FP}},
      // A task the ministry assigns to H40.01: H40's coordinator and admin see it (through
      // the assignment) but only the ministry's coordinator urges.
      {"d06.v1.TaskService.UrgeAssignment",
       {"name: '$ASSIGNMENT' message: 'Đề nghị khẩn trương'",
        {PD, PD, PD, PD, PD, OK, PD},
        P::kNotStarted,
        "units/BCA"}},
      // (Exports of "tasks/-" are limited to the caller's scope: see the Lists tests.)
      {"d06.v1.TaskService.ExportAssignments", {"parent: '$T1'", kH40Read}},
      {"d06.v1.TaskService.FilePeriodReport",
       {"name: '$ASSIGNMENT' period { year: 2026 month: 3 day: 20 } note: 'Đã thực hiện'",
        kH4001Member, P::kRecurring, "units/H40", FP}},
      {"d06.v1.TaskService.ListPeriodReports", {"parent: '$A1'", kH40Read}},
      {"d06.v1.TaskService.ListUrges", {"parent: '$A1'", kH40Read}},
      {"d06.v1.TaskService.ListTaskEvents", {"parent: '$T1'", kH40Read}},
      // ReportService
      {"d06.v1.ReportService.GetSummary", {"unit: 'units/H40.01'", kH40Read}},
      {"d06.v1.ReportService.ExportSummary", {"unit: 'units/H40.01'", kH40Read}},
      // EventService
      {"d06.v1.EventService.Watch", {"start_revision: 1", kAnyViewer}},
      // AccessService: principals of H40's subtree are admin-h40's.
      {"d06.v1.AccessService.CreatePrincipal",
       {"principal_id: 'moi-$WHO' principal { display_name: 'Người mới' "
        "kind: PRINCIPAL_KIND_PERSON unit: 'units/H40.01' }",
        kAdminOnly}},
      {"d06.v1.AccessService.GetPrincipal", {"name: 'principals/member-h40-01'", kAdminOnly}},
      {"d06.v1.AccessService.ListPrincipals", {"page_size: 10", kAdminOnly}},
      {"d06.v1.AccessService.UpdatePrincipal",
       {"principal { name: 'principals/member-h40-01' display_name: 'Tên mới' } "
        "update_mask { paths: 'display_name' }",
        kAdminOnly}},
      {"d06.v1.AccessService.CreateToken",
       {"parent: 'principals/member-h40-01' token { display_name: 'máy mới' "
        "expire_time { seconds: $EXPIRE } }",
        kAdminOnly}},
      {"d06.v1.AccessService.ListTokens", {"parent: 'principals/member-h40-01'", kAdminOnly}},
      {"d06.v1.AccessService.RevokeToken", {"name: '$SPARE'", kAdminOnly}},
      {"d06.v1.AccessService.WhoAmI", {"", {OK, OK, OK, OK, OK, OK, OK}}},
      {"d06.v1.AccessService.GetServerInfo", {"", {OK, OK, OK, OK, OK, OK, OK}}},
      // AdminService: the whole database, so an admin of every unit only; admin-h40 is
      // an admin of H40's subtree alone.
      {"d06.v1.AdminService.CreateBackup", {"", kEveryUnitAdmin}},
      {"d06.v1.AdminService.ListBackups", {"", kEveryUnitAdmin}},
      {"d06.v1.AdminService.VerifyBackup", {"name: 'backups/1'", kEveryUnitAdmin}},
      {"d06.v1.AdminService.DeleteBackup", {"name: 'backups/1'", kEveryUnitAdmin}},
      {"d06.v1.AdminService.CheckConsistency", {"", kEveryUnitAdmin}},
  };
}

TEST_F(AuthzTest, EveryRpcAnswersEachPrincipalByRoleAndScope) {
  const std::map<std::string, Row> table = Table();
  std::set<std::string> seen;
  Core* no_core = nullptr;
  api::StreamRunners runners{nullptr, nullptr, nullptr};
  const std::unique_ptr<api::MethodTable> methods = api::NewCoreMethodTable(no_core, runners);
  for (const google::protobuf::ServiceDescriptor* service : methods->services()) {
    for (int m = 0; m < service->method_count(); ++m) {
      const google::protobuf::MethodDescriptor* method = service->method(m);
      seen.insert(method->full_name());
      auto it = table.find(method->full_name());
      if (it == table.end()) {
        ADD_FAILURE() << method->full_name() << " has no row in the authorisation table";
        continue;
      }
      const Row& row = it->second;
      const Fresh fresh = Prepare(row.prep, row.assigning);
      // The refused callers first, then the allowed ones.
      std::vector<int> order;
      for (int i = 0; i < 7; ++i) {
        if (row.expected[i] != OK) order.push_back(i);
      }
      for (int i = 0; i < 7; ++i) {
        if (row.expected[i] == OK) order.push_back(i);
      }
      const int64_t before = Revision();
      bool allowed_before = false;
      for (int i : order) {
        const std::string who = kPrincipals[i];
        const std::string text = absl::StrReplaceAll(
            row.request,
            {{"$T1", t1_},
             {"$A1", a1_},
             {"$TASK", fresh.task},
             {"$ASSIGNMENT", fresh.assignment},
             {"$UNIT_A", fresh.unit_a},
             {"$UNIT_B", fresh.unit_b},
             {"$WHO", absl::StrCat(i)},
             {"$SPARE", spare_token_},
             {"$EXPIRE", absl::StrCat(absl::ToUnixSeconds(clock().Now() + absl::Hours(24)))}});
        std::unique_ptr<Message> request(google::protobuf::MessageFactory::generated_factory()
                                             ->GetPrototype(method->input_type())
                                             ->New());
        ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(text, request.get()))
            << method->full_name() << ": " << text;
        std::unique_ptr<Message> response(google::protobuf::MessageFactory::generated_factory()
                                              ->GetPrototype(method->output_type())
                                              ->New());
        // Every write first as a dry run (validate_only, AIP-163): the same answer, and
        // nothing written (no revision: no entity, index, event or counter).
        if (const auto* validate_only = method->input_type()->FindFieldByName("validate_only");
            validate_only != nullptr && !allowed_before) {
          std::unique_ptr<Message> dry(request->New());
          dry->CopyFrom(*request);
          dry->GetReflection()->SetBool(dry.get(), validate_only, true);
          std::unique_ptr<Message> dry_response(response->New());
          const int64_t before_dry = Revision();
          EXPECT_THAT(Invoke(who, absl::StrCat(service->name(), "/", method->name()), *dry,
                             dry_response.get()),
                      Answer(row.expected[i]))
              << method->full_name() << " as " << who << ", validate_only";
          EXPECT_EQ(Revision(), before_dry)
              << method->full_name() << " with validate_only changed the store";
        }
        const absl::Status status = Invoke(who, absl::StrCat(service->name(), "/", method->name()),
                                           *request, response.get(), method->server_streaming());
        const absl::StatusCode want =
            row.expected[i] == OK && allowed_before ? row.later : row.expected[i];
        EXPECT_THAT(status, Answer(want)) << method->full_name() << " as " << who;
        if (row.expected[i] != OK) {
          EXPECT_EQ(Revision(), before)
              << method->full_name() << " refused to " << who << " changed the store";
        } else {
          allowed_before = true;
        }
      }
    }
  }
  for (const auto& [name, row] : table) {
    EXPECT_TRUE(seen.count(name)) << name << " is in the table but no service has it";
  }
  EXPECT_GE(seen.size(), 40u);
}

// Inside the scope without the role: the message names the RPC, the role and the unit
// that decides. A principal that holds the role nowhere is refused before any read: an
// absent resource gives it the same answer.
TEST_F(AuthzTest, RefusalsNameTheRoleAndTheUnitAndComeBeforeAnyRead) {
  const int64_t before = Revision();
  auto approve = Call<v1::ApproveAssignmentResponse>(
      "coord-h40", "TaskService/ApproveAssignment",
      Text<v1::ApproveAssignmentRequest>("name: '" + t2_ + "/assignments/H40'"));
  EXPECT_THAT(approve.status(), IsError(PD, "ROLE_REQUIRED"));
  EXPECT_EQ(approve.status().message(),
            "ApproveAssignment needs coordinator at units/BCA or above");
  auto start = Call<v1::StartAssignmentResponse>(
      "member-h40-01", "TaskService/StartAssignment",
      Text<v1::StartAssignmentRequest>("name: '" + t1_ + "/assignments/H40.02'"));
  EXPECT_THAT(start.status(), IsError(PD, "ROLE_REQUIRED"));
  EXPECT_EQ(start.status().message(), "StartAssignment needs member at units/H40.02 or above");
  auto update = Call<v1::UpdateTaskResponse>(
      "viewer-h40", "TaskService/UpdateTask",
      Text<v1::UpdateTaskRequest>("task { name: '" + t1_ +
                                  "' title: 'x' } update_mask { paths: 'title' }"));
  EXPECT_THAT(update.status(), IsError(PD, "ROLE_REQUIRED"));
  EXPECT_THAT(std::string(update.status().message()), HasSubstr("coordinator"));
  for (const std::string& name : {t1_, std::string("tasks/999999")}) {
    EXPECT_THAT(Call<v1::GetTaskResponse>("none", "TaskService/GetTask",
                                          Text<v1::GetTaskRequest>("name: '" + name + "'"))
                    .status(),
                IsError(PD, "ROLE_REQUIRED"))
        << name;
  }
  EXPECT_THAT(
      Call<v1::WhoAmIResponse>("none", "AccessService/WhoAmI", v1::WhoAmIRequest()).status(),
      IsOk());
  EXPECT_EQ(Revision(), before);
}

// ---- 2. the same over Connect -------------------------------------------------------------

TEST_F(AuthzTest, ConnectAnswersAsGrpcDoes) {
  RawHttp http(server().http_port());
  ASSERT_TRUE(http.connected());
  auto post = [&](const std::string& who, const std::string& method, const std::string& json) {
    return http.Exchange(absl::StrCat("POST /d06.v1.", method,
                                      " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                      "Content-Type: application/json\r\nContent-Length: ",
                                      json.size(), "\r\nAuthorization: Bearer ", TokenOf(who),
                                      "\r\n\r\n", json));
  };
  const int64_t before = Revision();
  const std::string get_t1 = absl::StrCat(R"({"name":")", t1_, R"("})");
  RawAnswer hidden = post("viewer-h29", "TaskService/GetTask", get_t1);
  EXPECT_EQ(hidden.status, 404) << hidden.body;
  EXPECT_THAT(hidden.body, HasSubstr("NOT_FOUND"));
  EXPECT_THAT(hidden.body, Not(HasSubstr(kT1Title)));

  RawAnswer refused = post("coord-h40", "TaskService/ApproveAssignment",
                           absl::StrCat(R"({"name":")", t2_, R"(/assignments/H40"})"));
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_THAT(refused.body, HasSubstr("ROLE_REQUIRED"));
  EXPECT_THAT(refused.body, HasSubstr("ApproveAssignment needs coordinator at units/BCA"));

  RawAnswer not_held = post("viewer-h40", "UnitService/CreateUnit",
                            R"({"unit":{"code":"H40.77","displayName":"X","kind":)"
                            R"("UNIT_KIND_DEPARTMENT","parent":"units/H40"}})");
  EXPECT_EQ(not_held.status, 403) << not_held.body;
  EXPECT_THAT(not_held.body, HasSubstr("ROLE_REQUIRED"));
  EXPECT_EQ(Revision(), before);

  RawAnswer seen = post("viewer-h40", "TaskService/GetTask", get_t1);
  EXPECT_EQ(seen.status, 200) << seen.body;
  EXPECT_THAT(seen.body, HasSubstr(kT1Title));
  RawAnswer reported =
      post("member-h40-01", "TaskService/ReportAssignmentProgress",
           absl::StrCat(R"({"name":")", a1_, R"(","percent":45,"note":"Qua HTTP"})"));
  EXPECT_EQ(reported.status, 200) << reported.body;
  EXPECT_THAT(reported.body, HasSubstr("Qua HTTP"));
}

// ---- 3. no leaks ----------------------------------------------------------------------------

// Point reads of another province's things answer exactly as for absent ones.
TEST_F(AuthzTest, AnotherProvinceDoesNotExistForPointReads) {
  const int64_t before = Revision();
  auto message_of = [&](const absl::Status& s) { return std::string(s.message()); };
  // The answer for T1 is the answer for a task that never existed, but for its id.
  const std::string absent = "tasks/999999";
  auto get = [&](const std::string& name) {
    return Call<v1::GetTaskResponse>("viewer-h29", "TaskService/GetTask",
                                     Text<v1::GetTaskRequest>("name: '" + name + "'"))
        .status();
  };
  EXPECT_THAT(get(t1_), IsError(NF, "NOT_FOUND"));
  EXPECT_EQ(message_of(get(t1_)), absl::StrReplaceAll(message_of(get(absent)), {{absent, t1_}}));
  auto unit = [&](const std::string& name) {
    return Call<v1::GetUnitResponse>("viewer-h29", "UnitService/GetUnit",
                                     Text<v1::GetUnitRequest>("name: '" + name + "'"))
        .status();
  };
  for (const std::string name : {"units/H40", "units/H40.01", "units/BCA"}) {
    EXPECT_THAT(unit(name), IsError(NF, "NOT_FOUND")) << name;
    EXPECT_EQ(message_of(unit(name)),
              absl::StrReplaceAll(message_of(unit("units/H99")), {{"units/H99", name}}));
  }
  EXPECT_THAT(unit("units/H29.01"), IsOk());
  // T1's assignments, history, urges, period reports.
  for (const std::string& a : {a1_, t1_ + "/assignments/H40.02"}) {
    EXPECT_THAT(Call<v1::GetAssignmentResponse>("viewer-h29", "TaskService/GetAssignment",
                                                Text<v1::GetAssignmentRequest>("name: '" + a + "'"))
                    .status(),
                IsError(NF, "NOT_FOUND"));
    EXPECT_THAT(Call<v1::ListUrgesResponse>("viewer-h29", "TaskService/ListUrges",
                                            Text<v1::ListUrgesRequest>("parent: '" + a + "'"))
                    .status(),
                IsError(NF, "NOT_FOUND"));
    EXPECT_THAT(Call<v1::ListPeriodReportsResponse>(
                    "viewer-h29", "TaskService/ListPeriodReports",
                    Text<v1::ListPeriodReportsRequest>("parent: '" + a + "'"))
                    .status(),
                IsError(NF, "NOT_FOUND"));
  }
  EXPECT_THAT(
      Call<v1::ListTaskEventsResponse>("viewer-h29", "TaskService/ListTaskEvents",
                                       Text<v1::ListTaskEventsRequest>("parent: '" + t1_ + "'"))
          .status(),
      IsError(NF, "NOT_FOUND"));
  // Its own province's history and urges are there.
  auto urges = Call<v1::ListUrgesResponse>(
      "viewer-h29", "TaskService/ListUrges",
      Text<v1::ListUrgesRequest>("parent: '" + t3_ + "/assignments/H29.01'"));
  ASSERT_THAT(urges.status(), IsOk());
  EXPECT_EQ(urges->events_size(), 1);
  // Summaries and their exports: H40 and BCA do not exist; H29's shows H29 only.
  for (const std::string unit_name : {"units/H40", "units/H40.01", "units/BCA"}) {
    EXPECT_THAT(
        Call<v1::GetSummaryResponse>("viewer-h29", "ReportService/GetSummary",
                                     Text<v1::GetSummaryRequest>("unit: '" + unit_name + "'"))
            .status(),
        IsError(NF, "NOT_FOUND"))
        << unit_name;
    EXPECT_THAT(
        Export("viewer-h29", Text<v1::ExportSummaryRequest>("unit: '" + unit_name + "'")).status(),
        IsError(NF, "NOT_FOUND"))
        << unit_name;
  }
  auto summary = Call<v1::GetSummaryResponse>(
      "viewer-h29", "ReportService/GetSummary",
      Text<v1::GetSummaryRequest>("unit: 'units/H29' group_by: SUMMARY_GROUP_BY_CHILD_UNIT"));
  ASSERT_THAT(summary.status(), IsOk());
  EXPECT_EQ(summary->total().total(), 1);  // T3 (T2 counts through its lead, H40)
  for (const v1::SummaryRow& r : summary->rows()) {
    EXPECT_TRUE(r.unit() == "units/H29" || r.unit() == "units/H29.01") << r.unit();
  }
  // Writes outside the scope: NOT_FOUND too, and nothing changes.
  EXPECT_THAT(Call<v1::StartAssignmentResponse>(
                  "member-h40-01", "TaskService/StartAssignment",
                  Text<v1::StartAssignmentRequest>("name: '" + t3_ + "/assignments/H29.01'"))
                  .status(),
              IsError(NF, "NOT_FOUND"));
  EXPECT_THAT(Call<v1::UrgeAssignmentResponse>(
                  "coord-bca", "TaskService/UrgeAssignment",
                  Text<v1::UrgeAssignmentRequest>("name: '" + a1_ + "' message: 'x'"))
                  .status(),
              IsError(NF, "NOT_FOUND"));
  EXPECT_EQ(Revision(), before);
}

// Lists, searches and page tokens of viewer-h29: nothing of H40 or of T1, page by page.
TEST_F(AuthzTest, ListsShowNothingOfAnotherProvince) {
  auto units = Paged<v1::ListUnitsRequest, v1::ListUnitsResponse>(
      "viewer-h29", "UnitService/ListUnits", v1::ListUnitsRequest(),
      [](const v1::ListUnitsResponse& r) -> auto& { return r.units(); });
  ASSERT_THAT(units.status(), IsOk());
  EXPECT_THAT(*units, UnorderedElementsAre("units/H29", "units/H29.01"));
  // The tree of a past day is read in today's scope.
  v1::ListUnitsRequest yesterday;
  *yesterday.mutable_as_of() = ToDate(TodayInVietnam(clock()) - 1);
  units = Paged<v1::ListUnitsRequest, v1::ListUnitsResponse>(
      "viewer-h29", "UnitService/ListUnits", yesterday,
      [](const v1::ListUnitsResponse& r) -> auto& { return r.units(); });
  ASSERT_THAT(units.status(), IsOk());
  EXPECT_THAT(*units, UnorderedElementsAre("units/H29", "units/H29.01"));

  for (const std::string query : {"", "kế hoạch", "ke hoach", "hộ tịch"}) {
    v1::ListTasksRequest request;
    request.set_query(query);
    auto tasks = Paged<v1::ListTasksRequest, v1::ListTasksResponse>(
        "viewer-h29", "TaskService/ListTasks", request,
        [](const v1::ListTasksResponse& r) -> auto& { return r.tasks(); });
    ASSERT_THAT(tasks.status(), IsOk()) << query;
    if (query == "hộ tịch") {
      EXPECT_THAT(*tasks, ::testing::IsEmpty()) << query;  // only T1 has the words
    } else {
      EXPECT_THAT(*tasks, UnorderedElementsAre(t2_, t3_)) << "query '" << query << "'";
    }
  }

  auto assignments = Paged<v1::ListAssignmentsRequest, v1::ListAssignmentsResponse>(
      "viewer-h29", "TaskService/ListAssignments",
      Text<v1::ListAssignmentsRequest>("parent: 'tasks/-'"),
      [](const v1::ListAssignmentsResponse& r) -> auto& { return r.assignments(); });
  ASSERT_THAT(assignments.status(), IsOk());
  EXPECT_THAT(*assignments,
              UnorderedElementsAre(t2_ + "/assignments/H29", t3_ + "/assignments/H29.01"));
  // A filter naming the other province finds nothing (and is no way in).
  auto filtered = Paged<v1::ListAssignmentsRequest, v1::ListAssignmentsResponse>(
      "viewer-h29", "TaskService/ListAssignments",
      Text<v1::ListAssignmentsRequest>("parent: 'tasks/-' filter: 'unit_tree = \"units/H40\"'"),
      [](const v1::ListAssignmentsResponse& r) -> auto& { return r.assignments(); });
  if (filtered.ok()) {
    EXPECT_THAT(*filtered, ::testing::IsEmpty());
  } else {
    EXPECT_THAT(filtered.status(), IsError(NF, "NOT_FOUND"));
  }
  EXPECT_THAT(
      Call<v1::ListAssignmentsResponse>("viewer-h29", "TaskService/ListAssignments",
                                        Text<v1::ListAssignmentsRequest>("parent: '" + t1_ + "'"))
          .status(),
      IsError(NF, "NOT_FOUND"));

  // History, urges and period reports of what it sees, page by page.
  auto history = Paged<v1::ListTaskEventsRequest, v1::ListTaskEventsResponse>(
      "viewer-h29", "TaskService/ListTaskEvents",
      Text<v1::ListTaskEventsRequest>("parent: '" + t3_ + "'"),
      [](const v1::ListTaskEventsResponse& r) -> auto& { return r.events(); });
  ASSERT_THAT(history.status(), IsOk());
  EXPECT_FALSE(history->empty());
  for (const std::string& resource : *history) EXPECT_TRUE(absl::StartsWith(resource, t3_));
  auto reports = Call<v1::ListPeriodReportsResponse>(
      "viewer-h29", "TaskService/ListPeriodReports",
      Text<v1::ListPeriodReportsRequest>("parent: '" + t3_ + "/assignments/H29.01'"));
  EXPECT_THAT(reports.status(), IsOk());

  // The export of tasks/-: the same two assignments.
  auto csv = Export("viewer-h29", Text<v1::ExportAssignmentsRequest>("parent: 'tasks/-'"));
  ASSERT_THAT(csv.status(), IsOk());
  EXPECT_THAT(*csv, Not(HasSubstr(kT1Title)));
  EXPECT_THAT(*csv, Not(HasSubstr(UnitTitle("H40.01"))));
  EXPECT_THAT(*csv, Not(HasSubstr(UnitTitle("H40.02"))));
  EXPECT_THAT(*csv, HasSubstr(kT3Title));
  std::vector<std::string> lines = absl::StrSplit(*csv, absl::ByAnyChar("\r\n"), absl::SkipEmpty());
  EXPECT_EQ(lines.size(), 3u) << *csv;  // a header and two rows
  EXPECT_THAT(
      Export("viewer-h29", Text<v1::ExportAssignmentsRequest>("parent: '" + t1_ + "'")).status(),
      IsError(NF, "NOT_FOUND"));
  // The summary's export of H29 names nothing of H40.
  auto summary_csv = Export(
      "viewer-h29",
      Text<v1::ExportSummaryRequest>("unit: 'units/H29' group_by: SUMMARY_GROUP_BY_CHILD_UNIT"));
  ASSERT_THAT(summary_csv.status(), IsOk());
  EXPECT_THAT(*summary_csv, Not(HasSubstr("H40")));
}

// Each principal's lists are exactly what its bindings cover; admin-h40 lists the
// principals of H40's subtree only.
TEST_F(AuthzTest, ListsAreExactlyTheCallersScope) {
  auto units_of = [&](const std::string& who) {
    return Must(Paged<v1::ListUnitsRequest, v1::ListUnitsResponse>(
                    who, "UnitService/ListUnits", v1::ListUnitsRequest(),
                    [](const v1::ListUnitsResponse& r) -> auto& { return r.units(); }),
                "ListUnits " + who);
  };
  EXPECT_THAT(units_of("viewer-h40"),
              UnorderedElementsAre("units/H40", "units/H40.01", "units/H40.02"));
  EXPECT_THAT(units_of("member-h40-01"), UnorderedElementsAre("units/H40.01"));
  EXPECT_THAT(units_of("viewer-h29"), UnorderedElementsAre("units/H29", "units/H29.01"));
  EXPECT_THAT(units_of("coord-bca"), UnorderedElementsAre("units/BCA"));
  EXPECT_EQ(units_of("admin").size(), 6u);

  auto tasks_of = [&](const std::string& who) {
    return Must(Paged<v1::ListTasksRequest, v1::ListTasksResponse>(
                    who, "TaskService/ListTasks", v1::ListTasksRequest(),
                    [](const v1::ListTasksResponse& r) -> auto& { return r.tasks(); }),
                "ListTasks " + who);
  };
  EXPECT_THAT(tasks_of("viewer-h40"), UnorderedElementsAre(t1_, t2_));
  EXPECT_THAT(tasks_of("member-h40-01"), UnorderedElementsAre(t1_));
  EXPECT_THAT(tasks_of("coord-bca"), UnorderedElementsAre(t2_));

  auto assignments_of = [&](const std::string& who, const std::string& parent) {
    return Must(Paged<v1::ListAssignmentsRequest, v1::ListAssignmentsResponse>(
                    who, "TaskService/ListAssignments",
                    Text<v1::ListAssignmentsRequest>("parent: '" + parent + "'"),
                    [](const v1::ListAssignmentsResponse& r) -> auto& { return r.assignments(); }),
                "ListAssignments " + who);
  };
  EXPECT_THAT(assignments_of("viewer-h40", "tasks/-"),
              UnorderedElementsAre(a1_, t1_ + "/assignments/H40.02", t2_ + "/assignments/H40"));
  EXPECT_THAT(assignments_of("member-h40-01", "tasks/-"), UnorderedElementsAre(a1_));
  EXPECT_THAT(assignments_of("coord-bca", "tasks/-"), ::testing::IsEmpty());
  // A visible task: all of its assignments.
  EXPECT_THAT(assignments_of("member-h40-01", t1_),
              UnorderedElementsAre(a1_, t1_ + "/assignments/H40.02"));

  auto principals = Paged<v1::ListPrincipalsRequest, v1::ListPrincipalsResponse>(
      "admin-h40", "AccessService/ListPrincipals", v1::ListPrincipalsRequest(),
      [](const v1::ListPrincipalsResponse& r) -> auto& { return r.principals(); });
  ASSERT_THAT(principals.status(), IsOk());
  EXPECT_THAT(*principals, UnorderedElementsAre("principals/viewer-h40", "principals/member-h40-01",
                                                "principals/coord-h40", "principals/admin-h40",
                                                "principals/none"));
}

// The feed from revision 1: only events about what the watcher's bindings cover.
TEST_F(AuthzTest, WatchSendsOnlyEventsInScope) {
  // What viewer-h29 must not see: H40's and the ministry's units, T1 and its
  // assignments, principals and tokens outside H29 (one failure lists them all).
  auto foreign_to_h29 = [&](const v1::Event& e) {
    const std::string& r = e.resource();
    return absl::StartsWith(r, "units/H40") || r == "units/BCA" || r == t1_ ||
           absl::StartsWith(r, t1_ + "/") ||
           (absl::StartsWith(r, "principals/") && !absl::StartsWith(r, "principals/viewer-h29")) ||
           absl::StrContains(e.ShortDebugString(), kT1Title);
  };
  std::vector<std::string> leaked;
  bool saw_t3 = false, saw_h29 = false;
  for (const v1::Event& e : FeedOf("viewer-h29")) {
    if (foreign_to_h29(e)) leaked.push_back(absl::StrCat(e.revision(), " ", e.resource()));
    saw_t3 |= e.resource() == t3_;
    saw_h29 |= e.resource() == "units/H29";
  }
  EXPECT_THAT(leaked, ::testing::IsEmpty()) << "events viewer-h29 must not see";
  EXPECT_TRUE(saw_t3);
  EXPECT_TRUE(saw_h29);

  // member-h40-01: T1 (its assignment's task) and units/H40.01; nothing of H40 above it,
  // of H40.02, H29, BCA, T2 or T3, nor principals but itself.
  leaked.clear();
  bool saw_t1 = false;
  for (const v1::Event& e : FeedOf("member-h40-01")) {
    const std::string& r = e.resource();
    if ((absl::StartsWith(r, "units/") && r != "units/H40.01") || absl::StartsWith(r, t2_) ||
        absl::StartsWith(r, t3_) ||
        (absl::StartsWith(r, "principals/") && !absl::StartsWith(r, "principals/member-h40-01"))) {
      leaked.push_back(absl::StrCat(e.revision(), " ", r));
    }
    saw_t1 |= r == t1_;
  }
  EXPECT_THAT(leaked, ::testing::IsEmpty()) << "events member-h40-01 must not see";
  EXPECT_TRUE(saw_t1);
}

// ---- 4. escalation --------------------------------------------------------------------------

TEST_F(AuthzTest, NobodyGrantsBeyondTheirOwnAdminScope) {
  const int64_t before = Revision();
  auto create = [&](const std::string& as, const std::string& id, const std::string& unit,
                    const std::vector<std::pair<v1::Role, std::string>>& bindings) {
    return Call<v1::CreatePrincipalResponse>(as, "AccessService/CreatePrincipal",
                                             PrincipalRequest(id, unit, bindings))
        .status();
  };
  // Below admin: no principals at all.
  EXPECT_THAT(create("coord-h40", "x1", "units/H40.01", {{v1::ROLE_VIEWER, "units/H40.01"}}),
              IsError(PD, "ROLE_REQUIRED"));
  EXPECT_THAT(create("coord-bca", "x1", "units/BCA", {}), IsError(PD, "ROLE_REQUIRED"));
  // admin-h40 grants nothing at H29, BCA or "*".
  EXPECT_THAT(create("admin-h40", "x2", "units/H40.01", {{v1::ROLE_VIEWER, "units/H29"}}),
              IsError(PD, "ROLE_REQUIRED"));
  EXPECT_THAT(create("admin-h40", "x3", "units/H40.01", {{v1::ROLE_VIEWER, "*"}}),
              IsError(PD, "ROLE_REQUIRED"));
  EXPECT_THAT(create("admin-h40", "x4", "units/H40.01",
                     {{v1::ROLE_VIEWER, "units/H40.01"}, {v1::ROLE_ADMIN, "units/BCA"}}),
              IsError(PD, "ROLE_REQUIRED"));
  // ... nor creates a principal of H29 (not its business: it does not exist).
  EXPECT_THAT(create("admin-h40", "x5", "units/H29", {}), IsError(NF, "NOT_FOUND"));
  // H29's principals and their tokens do not exist for it.
  auto get = [&](const std::string& name) {
    return Call<v1::GetPrincipalResponse>("admin-h40", "AccessService/GetPrincipal",
                                          Text<v1::GetPrincipalRequest>("name: '" + name + "'"))
        .status();
  };
  EXPECT_THAT(get("principals/viewer-h29"), IsError(NF, "NOT_FOUND"));
  EXPECT_EQ(get("principals/viewer-h29").message(),
            absl::StrReplaceAll(get("principals/nobody").message(),
                                {{"principals/nobody", "principals/viewer-h29"}}));
  EXPECT_THAT(
      Call<v1::ListTokensResponse>("admin-h40", "AccessService/ListTokens",
                                   Text<v1::ListTokensRequest>("parent: 'principals/viewer-h29'"))
          .status(),
      IsError(NF, "NOT_FOUND"));
  EXPECT_THAT(CreateTokenFor("admin-h40", "principals/viewer-h29").status(),
              IsError(NF, "NOT_FOUND"));
  EXPECT_THAT(Call<v1::RevokeTokenResponse>(
                  "admin-h40", "AccessService/RevokeToken",
                  Text<v1::RevokeTokenRequest>("name: '" + token_names_["viewer-h29"] + "'"))
                  .status(),
              IsError(NF, "NOT_FOUND"));
  auto update_bindings = [&](const std::string& as, const std::string& principal,
                             const std::vector<std::pair<v1::Role, std::string>>& bindings) {
    v1::UpdatePrincipalRequest request;
    request.mutable_principal()->set_name(principal);
    for (const auto& [role, at] : bindings) {
      v1::RoleBinding* b = request.mutable_principal()->add_bindings();
      b->set_role(role);
      b->set_unit(at);
    }
    request.mutable_update_mask()->add_paths("bindings");
    return Call<v1::UpdatePrincipalResponse>(as, "AccessService/UpdatePrincipal", request).status();
  };
  EXPECT_THAT(update_bindings("admin-h40", "principals/viewer-h29", {}), IsError(NF, "NOT_FOUND"));
  // Adding a binding outside its scope to one of its own principals.
  EXPECT_THAT(update_bindings("admin-h40", "principals/viewer-h40",
                              {{v1::ROLE_VIEWER, "units/H40"}, {v1::ROLE_VIEWER, "units/H29"}}),
              IsError(PD, "ROLE_REQUIRED"));
  // Units: no root units, nothing under or of H29.
  auto unit = [&](const std::string& code, const std::string& parent) {
    v1::CreateUnitRequest request;
    request.mutable_unit()->set_code(code);
    request.mutable_unit()->set_display_name("Mới");
    request.mutable_unit()->set_kind(parent.empty() ? v1::UNIT_KIND_PROVINCE
                                                    : v1::UNIT_KIND_DEPARTMENT);
    request.mutable_unit()->set_parent(parent);
    return Call<v1::CreateUnitResponse>("admin-h40", "UnitService/CreateUnit", request).status();
  };
  EXPECT_THAT(unit("H41", ""), IsError(PD, "ROLE_REQUIRED"));
  EXPECT_THAT(unit("H29.05", "units/H29"), IsError(NF, "NOT_FOUND"));
  EXPECT_THAT(Call<v1::UpdateUnitResponse>(
                  "admin-h40", "UnitService/UpdateUnit",
                  Text<v1::UpdateUnitRequest>("unit { name: 'units/H29' display_name: 'x' } "
                                              "update_mask { paths: 'display_name' }"))
                  .status(),
              IsError(NF, "NOT_FOUND"));
  EXPECT_EQ(Revision(), before) << "a refused grant changed the store";

  // Removing a binding it could not grant is granting too; and a principal holding one
  // is beyond admin-h40 altogether (its certificate subjects or a token would be those
  // rights): even adding a binding admin-h40 could grant is refused.
  MustPrincipal("hai-tinh", "units/H40",
                {{v1::ROLE_VIEWER, "units/H40"}, {v1::ROLE_VIEWER, "units/H29"}});
  const int64_t after_setup = Revision();
  ASSERT_GT(after_setup, before);  // (the revision does move with a write)
  EXPECT_THAT(update_bindings("admin-h40", "principals/hai-tinh", {{v1::ROLE_VIEWER, "units/H40"}}),
              IsError(PD, "ROLE_REQUIRED"));
  EXPECT_EQ(Revision(), after_setup);
  EXPECT_THAT(update_bindings("admin-h40", "principals/hai-tinh",
                              {{v1::ROLE_VIEWER, "units/H40"},
                               {v1::ROLE_VIEWER, "units/H29"},
                               {v1::ROLE_MEMBER, "units/H40.01"}}),
              IsError(PD, "ROLE_REQUIRED"));
  EXPECT_EQ(Revision(), after_setup);
  EXPECT_THAT(update_bindings("admin", "principals/hai-tinh",
                              {{v1::ROLE_VIEWER, "units/H40"},
                               {v1::ROLE_VIEWER, "units/H29"},
                               {v1::ROLE_MEMBER, "units/H40.01"}}),
              IsOk());

  // Within its scope admin-h40 creates a viewer of H40.01, and that viewer works.
  ASSERT_NO_THROW(MustPrincipal("xem-h40-01", "units/H40.01", {{v1::ROLE_VIEWER, "units/H40.01"}},
                                "admin-h40"));
  auto get_unit = [&](const std::string& name) {
    return Call<v1::GetUnitResponse>("xem-h40-01", "UnitService/GetUnit",
                                     Text<v1::GetUnitRequest>("name: '" + name + "'"))
        .status();
  };
  EXPECT_THAT(get_unit("units/H40.01"), IsOk());
  EXPECT_THAT(get_unit("units/H40.02"), IsError(NF, "NOT_FOUND"));
  EXPECT_THAT(Call<v1::GetTaskResponse>("xem-h40-01", "TaskService/GetTask",
                                        Text<v1::GetTaskRequest>("name: '" + t1_ + "'"))
                  .status(),
              IsOk());
  EXPECT_THAT(
      Call<v1::StartAssignmentResponse>("xem-h40-01", "TaskService/StartAssignment",
                                        Text<v1::StartAssignmentRequest>("name: '" + a1_ + "'"))
          .status(),
      IsError(PD, "ROLE_REQUIRED"));
  // Its admin gives it member there: its next call may act on the assignment.
  EXPECT_THAT(
      update_bindings("admin-h40", "principals/xem-h40-01", {{v1::ROLE_MEMBER, "units/H40.01"}}),
      IsOk());
  EXPECT_THAT(Call<v1::ReportAssignmentProgressResponse>(
                  "xem-h40-01", "TaskService/ReportAssignmentProgress",
                  Text<v1::StartAssignmentRequest>("name: '" + a1_ + "'"))
                  .status(),
              IsOk());
  // Bindings taken away stop on the next call; a disabled principal's stop too.
  EXPECT_THAT(update_bindings("admin-h40", "principals/xem-h40-01", {}), IsOk());
  EXPECT_THAT(get_unit("units/H40.01"), IsError(PD, "ROLE_REQUIRED"));
  EXPECT_THAT(
      update_bindings("admin-h40", "principals/xem-h40-01", {{v1::ROLE_VIEWER, "units/H40.01"}}),
      IsOk());
  EXPECT_THAT(get_unit("units/H40.01"), IsOk());
  EXPECT_THAT(Call<v1::UpdatePrincipalResponse>(
                  "admin-h40", "AccessService/UpdatePrincipal",
                  Text<v1::UpdatePrincipalRequest>("principal { name: 'principals/xem-h40-01' "
                                                   "state: PRINCIPAL_STATE_DISABLED } "
                                                   "update_mask { paths: 'state' }"))
                  .status(),
              IsOk());
  EXPECT_THAT(get_unit("units/H40.01"),
              IsError(absl::StatusCode::kUnauthenticated, "PRINCIPAL_DISABLED"));
}

// ---- 5. the ministry's task -----------------------------------------------------------------

// T2 (BCA to H40 and H29): both partners see it with both assignments; neither acts on
// the other's, nor sees anything else of the ministry.
// A principal of H40 that holds more than admin-h40 may grant (admin of BCA): admin-h40
// sees it (its unit is H40) but can neither take it over with a token of its own making,
// nor disable it, nor revoke its tokens.
TEST_F(AuthzTest, NobodyTakesOverAPrincipalWithMoreRightsThanTheirOwn) {
  MustPrincipal("boss", "units/H40", {{v1::ROLE_ADMIN, "units/BCA"}});
  const int64_t before = Revision();
  EXPECT_THAT(CreateTokenFor("admin-h40", "principals/boss").status(),
              IsError(PD, "ROLE_REQUIRED"));
  v1::UpdatePrincipalRequest disable;
  disable.mutable_principal()->set_name("principals/boss");
  disable.mutable_principal()->set_state(v1::PRINCIPAL_STATE_DISABLED);
  disable.mutable_update_mask()->add_paths("state");
  EXPECT_THAT(
      Call<v1::UpdatePrincipalResponse>("admin-h40", "AccessService/UpdatePrincipal", disable)
          .status(),
      IsError(PD, "ROLE_REQUIRED"));
  v1::RevokeTokenRequest revoke;
  revoke.set_name(token_names_["boss"]);
  EXPECT_THAT(
      Call<v1::RevokeTokenResponse>("admin-h40", "AccessService/RevokeToken", revoke).status(),
      IsError(PD, "ROLE_REQUIRED"));
  EXPECT_EQ(Revision(), before);
  // Reading it is an admin's business at its unit.
  EXPECT_TRUE(
      Call<v1::GetPrincipalResponse>("admin-h40", "AccessService/GetPrincipal",
                                     Text<v1::GetPrincipalRequest>("name: 'principals/boss'"))
          .ok());
  // The bootstrap admin may.
  EXPECT_TRUE(CreateTokenFor("admin", "principals/boss").ok());
}

TEST_F(AuthzTest, AMinistryTaskIsSeenByBothPartnersAndNothingElseOfTheMinistry) {
  const std::string to_h40 = t2_ + "/assignments/H40", to_h29 = t2_ + "/assignments/H29";
  for (const std::string who : {"viewer-h40", "viewer-h29"}) {
    auto task = Call<v1::GetTaskResponse>(who, "TaskService/GetTask",
                                          Text<v1::GetTaskRequest>("name: '" + t2_ + "'"));
    ASSERT_THAT(task.status(), IsOk()) << who;
    EXPECT_EQ(task->task().title(), kT2Title);
    for (const std::string& a : {to_h40, to_h29}) {
      EXPECT_THAT(
          Call<v1::GetAssignmentResponse>(who, "TaskService/GetAssignment",
                                          Text<v1::GetAssignmentRequest>("name: '" + a + "'"))
              .status(),
          IsOk())
          << who << " " << a;
    }
    EXPECT_THAT(
        Call<v1::ListTaskEventsResponse>(who, "TaskService/ListTaskEvents",
                                         Text<v1::ListTaskEventsRequest>("parent: '" + t2_ + "'"))
            .status(),
        IsOk());
    // The ministry itself does not exist for them.
    EXPECT_THAT(Call<v1::GetUnitResponse>(who, "UnitService/GetUnit",
                                          Text<v1::GetUnitRequest>("name: 'units/BCA'"))
                    .status(),
                IsError(NF, "NOT_FOUND"))
        << who;
    EXPECT_THAT(Call<v1::GetSummaryResponse>(who, "ReportService/GetSummary",
                                             Text<v1::GetSummaryRequest>("unit: 'units/BCA'"))
                    .status(),
                IsError(NF, "NOT_FOUND"))
        << who;
  }
  // H40's coordinator sees H29's part but does not act on it, nor decides for BCA.
  const int64_t before = Revision();
  auto start =
      Call<v1::StartAssignmentResponse>("coord-h40", "TaskService/StartAssignment",
                                        Text<v1::StartAssignmentRequest>("name: '" + to_h29 + "'"));
  EXPECT_THAT(start.status(), IsError(PD, "ROLE_REQUIRED"));
  EXPECT_EQ(start.status().message(), "StartAssignment needs member at units/H29 or above");
  EXPECT_THAT(Call<v1::UpdateTaskResponse>(
                  "coord-h40", "TaskService/UpdateTask",
                  Text<v1::UpdateTaskRequest>("task { name: '" + t2_ +
                                              "' title: 'x' } update_mask { paths: 'title' }"))
                  .status(),
              IsError(PD, "ROLE_REQUIRED"));
  EXPECT_EQ(Revision(), before);
  // H40's coordinator may start its own part; BCA's coordinator urges both.
  EXPECT_THAT(
      Call<v1::StartAssignmentResponse>("coord-h40", "TaskService/StartAssignment",
                                        Text<v1::StartAssignmentRequest>("name: '" + to_h40 + "'"))
          .status(),
      IsOk());
  for (const std::string& a : {to_h40, to_h29}) {
    EXPECT_THAT(Call<v1::UrgeAssignmentResponse>(
                    "coord-bca", "TaskService/UrgeAssignment",
                    Text<v1::UrgeAssignmentRequest>("name: '" + a + "' message: 'Khẩn'"))
                    .status(),
                IsOk());
  }
}

// A read's authorisation walks the unit tree from memory (server/model/unit_parents.h):
// a move takes effect for the very next read, both for who gains sight of the moved
// unit's work and for who loses it.
TEST_F(AuthzTest, ReadsFollowAUnitMovedToAnotherProvince) {
  const std::string task =
      MustTask("units/BCA", "Chuyển đơn vị", {{"units/H29.01", v1::ASSIGNMENT_ROLE_LEAD}});
  const std::string a = task + "/assignments/H29.01";
  auto get = [&](const std::string& who) {
    return Call<v1::GetAssignmentResponse>(who, "TaskService/GetAssignment",
                                           Text<v1::GetAssignmentRequest>("name: '" + a + "'"))
        .status();
  };
  // Read twice each: the second walk is the remembered one.
  for (int i = 0; i < 2; ++i) {
    EXPECT_THAT(get("viewer-h29"), IsOk());
    EXPECT_THAT(get("viewer-h40"), IsError(NF, "NOT_FOUND"));
  }
  v1::MoveUnitRequest move;
  move.set_name("units/H29.01");
  move.set_new_parent("units/H40");
  *move.mutable_effective_date() = ToDate(TodayInVietnam(clock()));
  move.set_reason("Sắp xếp đơn vị hành chính");
  Must(Call<v1::MoveUnitResponse>("admin", "UnitService/MoveUnit", move), "MoveUnit");
  for (int i = 0; i < 2; ++i) {
    EXPECT_THAT(get("viewer-h40"), IsOk());
    EXPECT_THAT(get("viewer-h29"), IsError(NF, "NOT_FOUND"));
  }
}

// A province merged into another: its principals are listed for rebinding, and scopes
// follow the work (H29's department and its task now below H40).
TEST_F(AuthzTest, AMergedProvincesWorkIsInItsSuccessorsScope) {
  const std::string a3 = t3_ + "/assignments/H29.01";
  auto get = [&](const std::string& who) {
    return Call<v1::GetAssignmentResponse>(who, "TaskService/GetAssignment",
                                           Text<v1::GetAssignmentRequest>("name: '" + a3 + "'"))
        .status();
  };
  EXPECT_THAT(get("viewer-h29"), IsOk());
  EXPECT_THAT(get("viewer-h40"), IsError(NF, "NOT_FOUND"));
  v1::MergeUnitsRequest merge;
  merge.add_names("units/H29");
  merge.set_successor("units/H40");
  *merge.mutable_effective_date() = ToDate(TodayInVietnam(clock()));
  merge.set_reason("Nghị quyết 202/2025/QH15");
  // Only an admin of both: admin-h40 is not one of H29.
  EXPECT_THAT(Call<v1::MergeUnitsResponse>("admin-h40", "UnitService/MergeUnits", merge).status(),
              IsError(NF, "NOT_FOUND"));
  const v1::MergeUnitsResponse merged =
      Must(Call<v1::MergeUnitsResponse>("admin", "UnitService/MergeUnits", merge), "MergeUnits");
  EXPECT_THAT(merged.result().principals(), ::testing::ElementsAre("principals/viewer-h29"));
  EXPECT_THAT(get("viewer-h40"), IsOk());
  EXPECT_THAT(get("viewer-h29"), IsError(NF, "NOT_FOUND"));
  EXPECT_EQ(Must(Call<v1::GetTaskResponse>("viewer-h40", "TaskService/GetTask",
                                           Text<v1::GetTaskRequest>("name: '" + t3_ + "'")),
                 "GetTask")
                .task()
                .assigning_unit(),
            "units/H40");
}

TEST_F(AuthzTest, ListsOfAMinistryTaskShowItToBothPartners) {
  const std::string to_h40 = t2_ + "/assignments/H40", to_h29 = t2_ + "/assignments/H29";
  for (const std::string who : {"viewer-h40", "viewer-h29"}) {
    auto both = Call<v1::ListAssignmentsResponse>(
        who, "TaskService/ListAssignments",
        Text<v1::ListAssignmentsRequest>("parent: '" + t2_ + "'"));
    ASSERT_THAT(both.status(), IsOk()) << who;
    EXPECT_THAT(Names(both->assignments()), UnorderedElementsAre(to_h40, to_h29)) << who;
  }
  auto tasks =
      Call<v1::ListTasksResponse>("viewer-h29", "TaskService/ListTasks", v1::ListTasksRequest());
  ASSERT_THAT(tasks.status(), IsOk());
  EXPECT_THAT(Names(tasks->tasks()), UnorderedElementsAre(t2_, t3_));
  auto units =
      Call<v1::ListUnitsResponse>("viewer-h40", "UnitService/ListUnits", v1::ListUnitsRequest());
  ASSERT_THAT(units.status(), IsOk());
  EXPECT_THAT(Names(units->units()), Not(::testing::Contains("units/BCA")));
}

// ---- 6. request_id per principal ------------------------------------------------------------

TEST_F(AuthzTest, RequestIdsArePerPrincipal) {
  const std::string id = "5b0e9f7a-cung-mot-ma";
  auto progress = Call<v1::ReportAssignmentProgressResponse>(
      "member-h40-01", "TaskService/ReportAssignmentProgress",
      Text<v1::ReportAssignmentProgressRequest>(
          "name: '" + a1_ + "' percent: 55 note: 'Một nửa' request_id: '" + id + "'"));
  ASSERT_THAT(progress.status(), IsOk());
  EXPECT_EQ(progress->assignment().progress_percent(), 55);
  auto unit = Call<v1::CreateUnitResponse>(
      "admin-h40", "UnitService/CreateUnit",
      Text<v1::CreateUnitRequest>("unit { code: 'H40.03' display_name: 'Phòng ba' "
                                  "kind: UNIT_KIND_DEPARTMENT parent: 'units/H40' } "
                                  "request_id: '" +
                                  id + "'"));
  ASSERT_THAT(unit.status(), IsOk());
  EXPECT_EQ(unit->unit().name(), "units/H40.03");
  // Each principal's retry returns its own first answer.
  auto again = Call<v1::CreateUnitResponse>(
      "admin-h40", "UnitService/CreateUnit",
      Text<v1::CreateUnitRequest>("unit { code: 'H40.03' display_name: 'Phòng ba' "
                                  "kind: UNIT_KIND_DEPARTMENT parent: 'units/H40' } "
                                  "request_id: '" +
                                  id + "'"));
  ASSERT_THAT(again.status(), IsOk());
  EXPECT_EQ(again->unit().etag(), unit->unit().etag());
  auto reused = Call<v1::ReportAssignmentProgressResponse>(
      "member-h40-01", "TaskService/ReportAssignmentProgress",
      Text<v1::ReportAssignmentProgressRequest>(
          "name: '" + a1_ + "' percent: 60 note: 'Khác' request_id: '" + id + "'"));
  EXPECT_THAT(reused.status(), IsError(absl::StatusCode::kInvalidArgument, "REQUEST_ID_REUSED"));
  // A third principal's same id on the same write is a new request too.
  auto by_coordinator = Call<v1::ReportAssignmentProgressResponse>(
      "coord-h40", "TaskService/ReportAssignmentProgress",
      Text<v1::ReportAssignmentProgressRequest>(
          "name: '" + a1_ + "' percent: 70 note: 'Điều phối' request_id: '" + id + "'"));
  ASSERT_THAT(by_coordinator.status(), IsOk());
  EXPECT_EQ(by_coordinator->assignment().progress_percent(), 70);
}

}  // namespace
}  // namespace d06::testing
