// A list page stops at a byte budget (server/domain/page_limit.h): a page of the largest
// items stays far below gRPC's default 4 MiB receive limit, also as Connect JSON, and
// walking the pages still returns every item once.
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/limits.h"
#include "google/protobuf/util/json_util.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

constexpr int kTasks = 120;

// 10,000 characters (the content limit) of three bytes each in UTF-8.
std::string LargestContent() {
  std::string content;
  for (int i = 0; i < 10000; ++i) content += "ễ";
  return content;
}

class PageBytesTest : public ServerTest {
 protected:
  // Checks one page's size as protobuf and as JSON.
  template <typename Page>
  void ExpectSmall(const Page& page) {
    EXPECT_LE(page.ByteSizeLong(), kMaxPageBytes + 64 * 1024);
    std::string json;
    ASSERT_TRUE(google::protobuf::util::MessageToJsonString(page, &json).ok());
    EXPECT_LT(json.size(), size_t{4} << 20);
  }
};

TEST_F(PageBytesTest, PagesOfTheLargestTasksStayUnderTheBudgetAndMissNothing) {
  MakeUnit("H29");
  const std::string content = LargestContent();
  std::string task_name;
  for (int i = 0; i < kTasks; ++i) {
    v1::CreateTaskRequest req;
    req.mutable_task()->set_assigning_unit("units/H29");
    req.mutable_task()->set_kind(v1::TASK_KIND_ONE_OFF);
    req.mutable_task()->set_title(absl::StrCat("Nhiệm vụ lớn ", i));
    req.mutable_task()->set_content(content);
    task_name = Must(client().CreateTask(req), "CreateTask").task().name();
  }
  for (const std::string query : {"", "lớn"}) {
    v1::ListTasksRequest req;
    req.set_page_size(1000);
    req.set_query(query);
    std::set<std::string> seen;
    int pages = 0;
    do {
      auto page = client().ListTasks(req);
      ASSERT_THAT(page.status(), IsOk());
      ExpectSmall(*page);
      ASSERT_GT(page->tasks_size(), 0);
      for (const v1::Task& t : page->tasks()) EXPECT_TRUE(seen.insert(t.name()).second);
      req.set_page_token(page->next_page_token());
      ++pages;
    } while (!req.page_token().empty());
    EXPECT_EQ(seen.size(), static_cast<size_t>(kTasks)) << "query " << query;
    EXPECT_GT(pages, 5) << "query " << query;  // 120 × 30 KB in pages of at most ~512 KB
  }

  // The history: every update event carries the whole task.
  for (int i = 0; i < 30; ++i) {
    v1::UpdateTaskRequest update;
    update.mutable_task()->set_name(task_name);
    update.mutable_task()->set_title(absl::StrCat("Nhiệm vụ lớn, lần ", i));
    update.mutable_update_mask()->add_paths("title");
    ASSERT_THAT(client().UpdateTask(update).status(), IsOk());
  }
  v1::ListTaskEventsRequest events;
  events.set_parent(task_name);
  events.set_page_size(1000);
  auto first = client().ListTaskEvents(events);
  ASSERT_THAT(first.status(), IsOk());
  ExpectSmall(*first);
  EXPECT_FALSE(first->next_page_token().empty());
  EXPECT_EQ(AllEvents(task_name, 1000).size(), 31u);  // created, then 30 updates
}

// Principals at their largest (20 certificate subjects of 512 bytes): a page of 1,000
// would be about 10 MB.
TEST_F(PageBytesTest, PagesOfTheLargestPrincipalsStayUnderTheBudgetAndMissNothing) {
  constexpr int kPrincipals = 80;
  for (int i = 0; i < kPrincipals; ++i) {
    v1::CreatePrincipalRequest req;
    req.set_principal_id(absl::StrCat("he-thong-", i));
    req.mutable_principal()->set_display_name(absl::StrCat("Hệ thống ", i));
    req.mutable_principal()->set_kind(v1::PRINCIPAL_KIND_SYSTEM);
    for (int s = 0; s < 20; ++s) {
      std::string subject = absl::StrCat("URI:spiffe://d06.example.gov.vn/", i, "/", s, "/");
      subject.resize(512, 'x');
      req.mutable_principal()->add_certificate_subjects(subject);
    }
    Must(client().CreatePrincipal(req), "CreatePrincipal");
  }
  v1::ListPrincipalsRequest req;
  req.set_page_size(1000);
  std::set<std::string> seen;
  int pages = 0;
  do {
    auto page = client().ListPrincipals(req);
    ASSERT_THAT(page.status(), IsOk());
    ExpectSmall(*page);
    ASSERT_GT(page->principals_size(), 0);
    for (const v1::Principal& p : page->principals()) EXPECT_TRUE(seen.insert(p.name()).second);
    req.set_page_token(page->next_page_token());
    ++pages;
  } while (!req.page_token().empty());
  EXPECT_EQ(seen.size(), static_cast<size_t>(kPrincipals));
  EXPECT_GT(pages, 1);
}

}  // namespace
}  // namespace d06::testing
