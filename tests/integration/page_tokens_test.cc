// A page token is opaque: any change to it, a character cut, added or replaced anywhere,
// is INVALID_PAGE_TOKEN, on every list; and it is sealed with a key kept in the data
// directory, so a restart of the server does not end a listing.
#include <functional>
#include <string>

#include "absl/strings/str_cat.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

class PageTokensTest : public ServerTest {};

// Every token one edit away from `token`: each character cut, each character replaced by
// another of the base64 alphabet, and a character added at each position.
std::vector<std::string> OneEditAway(const std::string& token) {
  const std::string alphabet = "AQgw_-09az";
  std::vector<std::string> out;
  for (size_t i = 0; i <= token.size(); ++i) {
    if (i < token.size()) {
      out.push_back(token.substr(0, i) + token.substr(i + 1));
      for (char c : {'A', 'Q', 'g', 'w', '_', '9'}) {
        if (c != token[i]) out.push_back(token.substr(0, i) + c + token.substr(i + 1));
      }
    }
    for (char c : alphabet) out.push_back(token.substr(0, i) + c + token.substr(i));
  }
  return out;
}

// `list(token)` lists with that page token; the first page's token must be refused after
// any single edit.
template <typename Response>
void ExpectEditedTokensRejected(
    const std::function<absl::StatusOr<Response>(const std::string&)>& list) {
  auto first = list("");
  ASSERT_THAT(first.status(), IsOk());
  const std::string token = first->next_page_token();
  ASSERT_FALSE(token.empty());
  ASSERT_THAT(list(token).status(), IsOk());
  int accepted = 0;
  for (const std::string& edited : OneEditAway(token)) {
    absl::Status status = list(edited).status();
    if (status.code() != absl::StatusCode::kInvalidArgument ||
        client::ErrorReason(status) != "INVALID_PAGE_TOKEN") {
      ++accepted;
      ADD_FAILURE() << "edited token " << edited << " (from " << token << "): " << Describe(status);
      if (accepted > 3) return;
    }
  }
}

TEST_F(PageTokensTest, EveryListRefusesAnEditedToken) {
  MakeUnit("H29");
  MakeUnit("H30");
  MakeUnit("H31");
  v1::Task task;
  for (int i = 0; i < 3; ++i) {
    task = MakeTask("units/H29", absl::StrCat("Đề án ", i), Day(2026, 4, 1 + i));
    Assign(task.name(), "units/H30");
    Assign(task.name(), "units/H31");
  }
  {
    SCOPED_TRACE("ListUnits");
    ExpectEditedTokensRejected<v1::ListUnitsResponse>([&](const std::string& token) {
      v1::ListUnitsRequest req;
      req.set_page_size(1);
      req.set_page_token(token);
      return client().ListUnits(req);
    });
  }
  for (const std::string query : {"", "de an", "đề án"}) {
    SCOPED_TRACE(absl::StrCat("ListTasks query ", query));
    ExpectEditedTokensRejected<v1::ListTasksResponse>([&](const std::string& token) {
      v1::ListTasksRequest req;
      req.set_page_size(1);
      req.set_query(query);
      req.set_page_token(token);
      return client().ListTasks(req);
    });
  }
  for (const std::string& parent : {std::string("tasks/-"), task.name()}) {
    SCOPED_TRACE(absl::StrCat("ListAssignments ", parent));
    ExpectEditedTokensRejected<v1::ListAssignmentsResponse>([&](const std::string& token) {
      v1::ListAssignmentsRequest req;
      req.set_parent(parent);
      req.set_page_size(1);
      req.set_page_token(token);
      return client().ListAssignments(req);
    });
  }
  {
    SCOPED_TRACE("ListTaskEvents");
    ExpectEditedTokensRejected<v1::ListTaskEventsResponse>([&](const std::string& token) {
      v1::ListTaskEventsRequest req;
      req.set_parent(task.name());
      req.set_page_size(1);
      req.set_page_token(token);
      return client().ListTaskEvents(req);
    });
  }
}

TEST_F(PageTokensTest, ATokenIsBoundToItsParent) {
  MakeUnit("H29");
  MakeUnit("H30");
  MakeUnit("H31");
  v1::Task a = MakeTask("units/H29", "A");
  v1::Task b = MakeTask("units/H29", "B");
  for (const v1::Task& t : {a, b}) {
    Assign(t.name(), "units/H30");
    Assign(t.name(), "units/H31");
  }
  v1::ListAssignmentsRequest req;
  req.set_parent(a.name());
  req.set_page_size(1);
  auto first = client().ListAssignments(req);
  ASSERT_THAT(first.status(), IsOk());
  req.set_parent(b.name());
  req.set_page_token(first->next_page_token());
  EXPECT_THAT(client().ListAssignments(req).status(),
              IsError(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN"));
  v1::ListTaskEventsRequest events;
  events.set_parent(a.name());
  events.set_page_size(1);
  auto history = client().ListTaskEvents(events);
  ASSERT_THAT(history.status(), IsOk());
  events.set_parent(b.name());
  events.set_page_token(history->next_page_token());
  EXPECT_THAT(client().ListTaskEvents(events).status(),
              IsError(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN"));
}

TEST_F(PageTokensTest, ATokenOutlivesARestartOnTheSameDataDirectory) {
  MakeUnit("H29");
  MakeUnit("H30");
  MakeUnit("H31");
  v1::Task task = MakeTask("units/H29", "Đề án");
  Assign(task.name(), "units/H30");
  Assign(task.name(), "units/H31");
  v1::ListUnitsRequest units;
  units.set_page_size(1);
  auto first = client().ListUnits(units);
  ASSERT_THAT(first.status(), IsOk());
  units.set_page_token(first->next_page_token());
  auto before = client().ListUnits(units);
  ASSERT_THAT(before.status(), IsOk());
  v1::ListAssignmentsRequest assignments;
  assignments.set_parent(task.name());
  assignments.set_page_size(1);
  auto first_assignment = client().ListAssignments(assignments);
  ASSERT_THAT(first_assignment.status(), IsOk());
  assignments.set_page_token(first_assignment->next_page_token());
  ASSERT_FALSE(assignments.page_token().empty());

  Restart();
  auto after = client().ListUnits(units);
  ASSERT_THAT(after.status(), IsOk());
  EXPECT_EQ(Names(after->units()), Names(before->units()));
  EXPECT_EQ(after->next_page_token().empty(), before->next_page_token().empty());
  auto second_assignment = client().ListAssignments(assignments);
  ASSERT_THAT(second_assignment.status(), IsOk());
  ASSERT_EQ(second_assignment->assignments_size(), 1);
  EXPECT_NE(second_assignment->assignments(0).name(), first_assignment->assignments(0).name());
}

}  // namespace
}  // namespace d06::testing
