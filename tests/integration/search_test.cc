// Text search (ListTasks.query) pages: every query word is matched from the index, so a
// page is full at any database size, and a query without words is refused.
#include <string>

#include "absl/strings/str_cat.h"
#include "server/model/schema.h"
#include "storage/keys.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

using ::testing::SizeIs;

class SearchTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    MakeUnit("H29");
  }
};

TEST_F(SearchTest, AQueryWithoutWordsIsRefused) {
  MakeTask("units/H29", "Nội dung");
  for (const std::string query : {" ", "   ", "\t", "!!!", " - "}) {
    SCOPED_TRACE(absl::StrCat("query \"", query, "\""));
    v1::ListTasksRequest req;
    req.set_query(query);
    EXPECT_THAT(client().ListTasks(req).status(), IsInvalidField("query"));
  }
  EXPECT_THAT(AllTasks("", ""), SizeIs(1));  // an empty query lists without searching
}

// Tasks 1..kCommon (none of which exists any more, as after deletions or in another
// province's shard) are posted under "dung" only; the tasks that have both words come
// after them. Reading candidates of one word and checking the other would spend a page's
// whole read budget on them and return an empty first page.
TEST_F(SearchTest, MultiWordQueryPagesAreFullWhenOneWordIsCommon) {
  constexpr uint64_t kCommon = 25000;
  WithStoppedServer([&](Store& store) {
    ASSERT_THAT(store.Apply([&](Txn& txn) {
      std::string next_id;
      keys::PutU64(&next_id, kCommon + 100);
      txn.Put(Cf::kMeta, keys::kMetaNextTaskId, next_id);
      for (uint64_t id = 1; id <= kCommon; ++id) {
        std::string form;
        keys::PutU32(&form, ExactFormHash("dung"));
        txn.Put(Cf::kIndexes, PostingPrefix("dung") + TaskIndexSuffix(id), form);
      }
      return absl::OkStatus();
    }),
                IsOk());
  });
  std::vector<std::string> both;
  for (int i = 0; i < 25; ++i) {
    both.push_back(MakeTask("units/H29", absl::StrCat("Nội dung ", i)).name());
    MakeTask("units/H29", absl::StrCat("Dung lượng ", i));
  }
  for (const std::string query : {"noi dung", "nội dung"}) {
    SCOPED_TRACE(query);
    v1::ListTasksRequest req;
    req.set_query(query);
    req.set_page_size(10);
    std::vector<std::string> found;
    int calls = 0;
    do {
      auto page = client().ListTasks(req);
      ASSERT_THAT(page.status(), IsOk());
      ++calls;
      if (!page->next_page_token().empty()) {
        EXPECT_THAT(page->tasks(), SizeIs(10)) << "page " << calls << " is short";
      }
      for (const v1::Task& t : page->tasks()) found.push_back(t.name());
      req.set_page_token(page->next_page_token());
    } while (!req.page_token().empty() && calls < 20);
    EXPECT_EQ(found, both);
    EXPECT_LE(calls, 3);
  }
}

TEST_F(SearchTest, RepeatedWordsAndMixedAccentsFindTheSameTasks) {
  v1::Task exact = MakeTask("units/H29", "Đề án 06 về dân cư");
  v1::Task folded = MakeTask("units/H29", "de an 06 ve dan cu");
  MakeTask("units/H29", "Đề xuất");
  EXPECT_EQ(Names(AllTasks("", "đề đề án")), Names(AllTasks("", "đề án")));
  std::vector<v1::Task> found = AllTasks("", "Đề án dan", 1);
  ASSERT_THAT(found, SizeIs(2));
  // Neither has every word as typed, so both are folded matches, in id order.
  EXPECT_EQ(found[0].name(), exact.name());
  EXPECT_EQ(found[1].name(), folded.name());
}

// A word's posting keeps every form the task spells it in, and follows edits that change
// only accents: the folded key stays, its forms change.
TEST_F(SearchTest, EveryFormAsTypedCountsAndFollowsEdits) {
  v1::Task both = MakeTask("units/H29", "Đề án và de an");
  v1::Task folded = MakeTask("units/H29", "De an");
  v1::Task accented = MakeTask("units/H29", "Đề án");
  EXPECT_EQ(Names(AllTasks("", "đề án")),
            (std::vector<std::string>{both.name(), accented.name(), folded.name()}));
  EXPECT_EQ(Names(AllTasks("", "de an")),
            (std::vector<std::string>{both.name(), folded.name(), accented.name()}));

  v1::UpdateTaskRequest edit;
  edit.mutable_task()->set_name(accented.name());
  edit.mutable_task()->set_title("De an");
  edit.mutable_update_mask()->add_paths("title");
  ASSERT_THAT(client().UpdateTask(edit).status(), IsOk());
  EXPECT_EQ(Names(AllTasks("", "đề án")),
            (std::vector<std::string>{both.name(), folded.name(), accented.name()}));
  EXPECT_EQ(Names(AllTasks("", "de an")),
            (std::vector<std::string>{both.name(), folded.name(), accented.name()}));
}

// A word typed with diacritics ranks its spelling first; one typed without them matches
// every spelling alike, so a query without diacritics over accented text never scans for
// a spelling almost no task has.
TEST_F(SearchTest, OnlyWordsTypedWithDiacriticsRankTheirSpellingFirst) {
  v1::Task committee = MakeTask("units/H29", "Ban chỉ đạo Đề án 06");
  v1::Task plan = MakeTask("units/H29", "Bản kế hoạch");
  v1::Task plain = MakeTask("units/H29", "ban ke hoach");
  EXPECT_EQ(Names(AllTasks("", "bản")),
            (std::vector<std::string>{plan.name(), committee.name(), plain.name()}));
  EXPECT_EQ(Names(AllTasks("", "ban")),
            (std::vector<std::string>{committee.name(), plan.name(), plain.name()}));
  // "Ban" matches any spelling; "kế" ranks its own first.
  EXPECT_EQ(Names(AllTasks("", "Ban kế")), (std::vector<std::string>{plan.name(), plain.name()}));
}

// Every task spells the words with diacritics and the query has none: every task is a
// match of the first kind, so the first page is full. (At scale, ranking the query's own
// spelling first would read every task to find none before listing any: the
// "theo de an" row of tests/bench/RESULTS.md.)
TEST_F(SearchTest, AQueryWithoutDiacriticsFillsItsFirstPage) {
  for (int i = 0; i < 120; ++i) MakeTask("units/H29", absl::StrCat("Triển khai Đề án 06, đợt ", i));
  v1::ListTasksRequest req;
  req.set_query("de an");
  req.set_page_size(50);
  v1::ListTasksResponse page = Must(client().ListTasks(req));
  EXPECT_EQ(page.tasks_size(), 50);
  EXPECT_FALSE(page.next_page_token().empty());
  EXPECT_THAT(AllTasks("", "de an"), SizeIs(120));
}

}  // namespace
}  // namespace d06::testing
