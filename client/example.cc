// d06_example: walks one task through the whole workflow against a running d06d.
//
//   d06_example --target=127.0.0.1:50051 --token_file=admin.token
//   d06_example --target=d06.example.gov.vn:443 --tls_ca=ca.pem --token_file=admin.token
//   d06_example --target=127.0.0.1:50051 --actor=example      (d06d --auth=off)
//
// Checks health, creates a province unit H99 and a department H99.01 below it (a rerun
// reuses them), a one-off task with a deadline 30 days ahead, assigns it to the
// department as LEAD, then start -> report progress 50% -> submit -> approve, and prints
// the final state, timeliness and the task's event history. Exits 1 on the first error.
#include <cstdlib>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "common/flags_usage.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "d06d address host:port");
ABSL_FLAG(std::string, actor, "example",
          "actor recorded in the audit log with d06d --auth=off (ASCII)");
ABSL_FLAG(std::string, token_file, "",
          "file holding a bearer token (d06_...) of a principal allowed to do the walk; "
          "also env D06_TOKEN");
ABSL_FLAG(std::string, tls_ca, "", "PEM file of the CA of d06d's certificate: TLS");

namespace {

using namespace d06;  // NOLINT: a short example

// Prints the error (with its d06 reason) and exits non-zero.
[[noreturn]] void Die(absl::string_view step, const absl::Status& status) {
  std::cerr << "FAILED at " << step << ": " << status;
  std::string reason = client::ErrorReason(status);
  if (!reason.empty()) std::cerr << " [reason " << reason << "]";
  std::cerr << "\n";
  std::exit(1);
}

template <typename T>
T Check(absl::string_view step, absl::StatusOr<T> result) {
  if (!result.ok()) Die(step, result.status());
  return *std::move(result);
}

std::string StateName(v1::AssignmentState s) { return v1::AssignmentState_Name(s); }

std::string DateString(const v1::Date& d) {
  if (d.year() == 0) return "-";
  return absl::StrCat(d.year(), "-", d.month() < 10 ? "0" : "", d.month(), "-",
                      d.day() < 10 ? "0" : "", d.day());
}

// Creates `unit`, or reads it when it exists already (a rerun of the example).
v1::Unit CreateOrGetUnit(Client& c, const v1::Unit& unit) {
  v1::CreateUnitRequest create;
  *create.mutable_unit() = unit;
  absl::StatusOr<v1::CreateUnitResponse> created = c.CreateUnit(create);
  if (created.ok()) {
    std::cout << "created unit " << created->unit().name() << " (" << created->unit().display_name()
              << ")\n";
    return created->unit();
  }
  if (client::ErrorReason(created.status()) != "ALREADY_EXISTS") {
    Die("create unit " + unit.code(), created.status());
  }
  v1::GetUnitRequest get;
  get.set_name("units/" + unit.code());
  v1::Unit existing = Check("get unit " + unit.code(), c.GetUnit(get)).unit();
  std::cout << "using existing unit " << existing.name() << " (" << existing.display_name()
            << ")\n";
  return existing;
}

}  // namespace

int main(int argc, char** argv) {
  d06::InitFlagsUsage(__FILE__,
                      "walks one task through the whole workflow against a running d06d "
                      "and prints its history.\n"
                      "Usage: d06_example [--target=127.0.0.1:50051] [--token_file=FILE] "
                      "[--tls_ca=FILE] [--actor=NAME]");
  absl::ParseCommandLine(argc, argv);

  ClientOptions options;
  options.target = absl::GetFlag(FLAGS_target);
  options.actor = absl::GetFlag(FLAGS_actor);
  options.token_file = absl::GetFlag(FLAGS_token_file);
  if (const char* token = std::getenv("D06_TOKEN");
      options.token_file.empty() && token != nullptr) {
    options.token = token;
  }
  options.tls_ca = absl::GetFlag(FLAGS_tls_ca);
  std::unique_ptr<Client> c = Check("connect", Client::Connect(options));

  if (absl::Status s = c->CheckHealth(); !s.ok()) Die("health check", s);
  std::cout << "health: SERVING (" << options.target << ")\n";

  // A province "H99" and a department below it; a rerun finds and reuses them.
  v1::Unit province;
  {
    v1::Unit unit;
    unit.set_code("H99");
    unit.set_display_name("Tỉnh thử nghiệm H99");
    unit.set_kind(v1::UNIT_KIND_PROVINCE);
    province = CreateOrGetUnit(*c, unit);
  }
  v1::Unit department;
  {
    v1::Unit unit;
    unit.set_code("H99.01");
    unit.set_display_name("Công an tỉnh thử nghiệm H99");
    unit.set_kind(v1::UNIT_KIND_DEPARTMENT);
    unit.set_parent(province.name());
    department = CreateOrGetUnit(*c, unit);
  }

  // A one-off task, deadline 30 days from today in Vietnam.
  const absl::TimeZone vietnam = absl::FixedTimeZone(7 * 3600);
  const absl::CivilDay due = absl::ToCivilDay(absl::Now(), vietnam) + 30;
  v1::Task task;
  {
    v1::CreateTaskRequest req;
    v1::Task* t = req.mutable_task();
    t->set_title("Đề án 06: làm sạch dữ liệu dân cư");
    t->set_content("Rà soát, làm sạch dữ liệu và kết nối với Cơ sở dữ liệu quốc gia về dân cư.");
    t->set_kind(v1::TASK_KIND_ONE_OFF);
    t->set_urgency(v1::URGENCY_FOCUS);
    t->set_assigning_unit(province.name());
    t->mutable_deadline()->set_year(static_cast<int>(due.year()));
    t->mutable_deadline()->set_month(due.month());
    t->mutable_deadline()->set_day(due.day());
    t->add_labels("example");
    task = Check("create task", c->CreateTask(req)).task();
    std::cout << "created task " << task.name() << " \"" << task.title() << "\", deadline "
              << DateString(task.deadline()) << "\n";
  }

  v1::Assignment a;
  {
    v1::CreateAssignmentRequest req;
    req.set_parent(task.name());
    req.mutable_assignment()->set_unit(department.name());
    req.mutable_assignment()->set_role(v1::ASSIGNMENT_ROLE_LEAD);
    a = Check("create assignment", c->CreateAssignment(req)).assignment();
    std::cout << "assigned " << a.name() << " as LEAD: " << StateName(a.state()) << "\n";
  }
  {
    v1::StartAssignmentRequest req;
    req.set_name(a.name());
    req.set_etag(a.etag());
    a = Check("start", c->StartAssignment(req)).assignment();
    std::cout << "start -> " << StateName(a.state()) << "\n";
  }
  {
    v1::ReportAssignmentProgressRequest req;
    req.set_name(a.name());
    req.set_etag(a.etag());
    req.set_percent(50);
    req.set_note("Đã rà soát 50% hồ sơ");
    a = Check("report progress", c->ReportAssignmentProgress(req)).assignment();
    std::cout << "report progress 50% -> " << StateName(a.state()) << ", " << a.progress_percent()
              << "%\n";
  }
  {
    v1::SubmitAssignmentRequest req;
    req.set_name(a.name());
    req.set_etag(a.etag());
    req.set_note("Hoàn thành rà soát");
    a = Check("submit", c->SubmitAssignment(req)).assignment();
    std::cout << "submit -> " << StateName(a.state()) << " on " << DateString(a.submit_date())
              << "\n";
  }
  {
    v1::ApproveAssignmentRequest req;
    req.set_name(a.name());
    req.set_etag(a.etag());
    a = Check("approve", c->ApproveAssignment(req)).assignment();
    std::cout << "approve -> " << StateName(a.state()) << "\n";
  }
  std::cout << "final: " << a.name() << " state " << StateName(a.state()) << ", timeliness "
            << v1::Timeliness_Name(a.timeliness()) << "\n";

  std::cout << "history of " << task.name() << ":\n";
  v1::ListTaskEventsRequest req;
  req.set_parent(task.name());
  do {
    v1::ListTaskEventsResponse page = Check("list events", c->ListTaskEvents(req));
    for (const v1::Event& e : page.events()) {
      std::cout << "  #" << e.revision() << "." << e.index() << " "
                << absl::FormatTime("%Y-%m-%d %H:%M:%S%Ez",
                                    absl::FromUnixSeconds(e.time().seconds()), vietnam)
                << " " << e.actor() << " " << v1::EventAction_Name(e.action()) << " "
                << e.resource();
      if (e.old_state() != e.new_state()) {
        std::cout << " " << StateName(e.old_state()) << " -> " << StateName(e.new_state());
      }
      if (!e.reason().empty()) std::cout << " (" << e.reason() << ")";
      std::cout << "\n";
    }
    req.set_page_token(page.next_page_token());
  } while (!req.page_token().empty());
  return 0;
}
