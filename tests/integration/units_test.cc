// UnitService: create/get/list/update, their errors, filters and pagination.
#include <set>
#include <string>
#include <vector>

#include "common/limits.h"
#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

class UnitsTest : public ServerTest {
 protected:
  v1::CreateUnitRequest UnitReq(const std::string& code) {
    v1::CreateUnitRequest req;
    req.mutable_unit()->set_code(code);
    req.mutable_unit()->set_display_name("Đơn vị");
    req.mutable_unit()->set_kind(v1::UNIT_KIND_PROVINCE);
    return req;
  }
};

TEST_F(UnitsTest, CreateStoresNormalisedFields) {
  v1::CreateUnitRequest req = UnitReq("H29");
  req.mutable_unit()->set_display_name("  Sở Tư pha\xCC\x81p  ");  // NFD á, padded
  req.mutable_unit()->set_admin_code("40");
  *req.mutable_unit()->mutable_valid_from() = Day(1976, 1, 1);
  // Output-only fields are ignored on create.
  req.mutable_unit()->set_state(v1::UNIT_STATE_DISSOLVED);
  req.mutable_unit()->set_successor("units/G01");
  auto got = client().CreateUnit(req);
  ASSERT_THAT(got.status(), IsOk());
  EXPECT_EQ(got->unit().name(), "units/H29");
  EXPECT_EQ(got->unit().display_name(), "Sở Tư pháp");
  EXPECT_EQ(got->unit().state(), v1::UNIT_STATE_ACTIVE);
  EXPECT_EQ(got->unit().successor(), "");
  EXPECT_EQ(got->unit().admin_code(), "40");
  EXPECT_EQ(got->unit().valid_from().year(), 1976);
  v1::Unit read = GetUnit("units/H29");
  EXPECT_EQ(read.SerializeAsString(), got->unit().SerializeAsString());
}

TEST_F(UnitsTest, LongestCodeAndNameAreAccepted) {
  std::string code35 = "H29." + std::string(31, '1');
  ASSERT_EQ(code35.size(), 35u);
  v1::CreateUnitRequest req = UnitReq(code35);
  std::string name300;
  for (int i = 0; i < 300; ++i) name300 += "ệ";  // 300 characters, 900 bytes
  req.mutable_unit()->set_display_name(name300);
  auto got = client().CreateUnit(req);
  ASSERT_THAT(got.status(), IsOk());
  EXPECT_EQ(got->unit().display_name(), name300);
}

TEST_F(UnitsTest, BadCodesAreRejected) {
  for (const std::string& code :
       std::vector<std::string>{"", "h29", "H29..1", ".H29", "H29.", "H29-1", "H 29", "Đ29",
                                "H29." + std::string(32, '1')}) {
    SCOPED_TRACE(code);
    EXPECT_THAT(client().CreateUnit(UnitReq(code)).status(), IsInvalidField("unit.code"));
  }
  EXPECT_THAT(AllUnits(), IsEmpty());
}

TEST_F(UnitsTest, BadFieldsAreRejectedAndChangeNothing) {
  MakeUnit("G01", v1::UNIT_KIND_MINISTRY);
  struct Case {
    std::string field;
    std::function<void(v1::Unit*)> mutate;
  };
  std::string name301;
  for (int i = 0; i < 301; ++i) name301 += "ệ";
  std::vector<Case> cases = {
      {"unit.display_name", [](v1::Unit* u) { u->clear_display_name(); }},
      {"unit.display_name", [](v1::Unit* u) { u->set_display_name("   "); }},
      {"unit.display_name", [&](v1::Unit* u) { u->set_display_name(name301); }},
      {"unit.display_name", [](v1::Unit* u) { u->set_display_name("S\xffo"); }},
      {"unit.display_name", [](v1::Unit* u) { u->set_display_name("S\xC0\xAFo"); }},
      {"unit.display_name", [](v1::Unit* u) { u->set_display_name("Sở\x01"); }},
      {"unit.kind", [](v1::Unit* u) { u->set_kind(v1::UNIT_KIND_UNSPECIFIED); }},
      {"unit.kind", [](v1::Unit* u) { u->set_kind(static_cast<v1::UnitKind>(99)); }},
      {"unit.admin_code", [](v1::Unit* u) { u->set_admin_code("4A"); }},
      {"unit.valid_from", [](v1::Unit* u) { *u->mutable_valid_from() = Day(2026, 2, 30); }},
      {"unit.valid_from", [](v1::Unit* u) { *u->mutable_valid_from() = Day(1800, 1, 1); }},
      {"unit.valid_to", [](v1::Unit* u) { *u->mutable_valid_to() = Day(2026, 13, 1); }},
      {"unit.valid_to",
       [](v1::Unit* u) {
         *u->mutable_valid_from() = Day(2026, 1, 2);
         *u->mutable_valid_to() = Day(2026, 1, 1);
       }},
  };
  for (const Case& c : cases) {
    v1::CreateUnitRequest req = UnitReq("H29");
    c.mutate(req.mutable_unit());
    SCOPED_TRACE(req.ShortDebugString());
    EXPECT_THAT(client().CreateUnit(req).status(), IsInvalidField(c.field));
  }
  {
    v1::CreateUnitRequest req = UnitReq("H29");
    req.set_request_id(std::string(37, 'x'));
    EXPECT_EQ(client().CreateUnit(req).status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_THAT(Names(AllUnits()), ElementsAre("units/G01"));
}

TEST_F(UnitsTest, DuplicateCodeAlreadyExists) {
  v1::Unit first = MakeUnit("H29");
  v1::CreateUnitRequest req = UnitReq("H29");
  req.mutable_unit()->set_display_name("Khác");
  EXPECT_THAT(client().CreateUnit(req).status(),
              IsError(absl::StatusCode::kAlreadyExists, "ALREADY_EXISTS"));
  EXPECT_EQ(GetUnit("units/H29").SerializeAsString(), first.SerializeAsString());
}

TEST_F(UnitsTest, MissingParentNotFound) {
  v1::CreateUnitRequest req = UnitReq("H29.01");
  req.mutable_unit()->set_kind(v1::UNIT_KIND_DEPARTMENT);
  req.mutable_unit()->set_parent("units/H29");
  EXPECT_THAT(client().CreateUnit(req).status(), IsError(absl::StatusCode::kNotFound, "NOT_FOUND"));
  req.mutable_unit()->set_parent("units/h29");
  EXPECT_THAT(client().CreateUnit(req).status(), IsInvalidField("unit.parent"));
  EXPECT_THAT(AllUnits(), IsEmpty());
  // FAILED_PRECONDITION (parent not active) needs a merged or dissolved unit; there is
  // no RPC to merge or dissolve one yet, so it is not tested here.
}

TEST_F(UnitsTest, GetErrors) {
  MakeUnit("H29");
  for (const std::string name : {"", "units/", "unit/H29", "units/h29", "H29", "units/H29/x"}) {
    SCOPED_TRACE(name);
    v1::GetUnitRequest req;
    req.set_name(name);
    EXPECT_THAT(client().GetUnit(req).status(),
                IsError(absl::StatusCode::kInvalidArgument, "INVALID_NAME"));
  }
  v1::GetUnitRequest req;
  req.set_name("units/H30");
  EXPECT_THAT(client().GetUnit(req).status(), IsError(absl::StatusCode::kNotFound, "NOT_FOUND"));
}

TEST_F(UnitsTest, UpdateChangesOnlyMaskedFields) {
  v1::Unit u = MakeUnit("H29", v1::UNIT_KIND_PROVINCE, "", "Tên cũ");
  v1::UpdateUnitRequest req;
  *req.mutable_unit() = u;
  req.mutable_unit()->set_display_name("Tên mới");
  req.mutable_unit()->set_admin_code("40");  // not in the mask: ignored
  req.mutable_update_mask()->add_paths("display_name");
  auto got = client().UpdateUnit(req);
  ASSERT_THAT(got.status(), IsOk());
  EXPECT_EQ(got->unit().display_name(), "Tên mới");
  EXPECT_EQ(got->unit().admin_code(), "");
  EXPECT_NE(got->unit().etag(), u.etag());
  v1::Unit read = GetUnit("units/H29");
  EXPECT_EQ(read.display_name(), "Tên mới");
  EXPECT_EQ(read.admin_code(), "");
  EXPECT_EQ(read.etag(), got->unit().etag());

  // Clearing a masked optional field.
  v1::UpdateUnitRequest req2;
  req2.mutable_unit()->set_name("units/H29");
  req2.mutable_unit()->set_admin_code("40");
  *req2.mutable_unit()->mutable_valid_from() = Day(2025, 7, 1);
  req2.mutable_update_mask()->add_paths("admin_code");
  req2.mutable_update_mask()->add_paths("valid_from");
  ASSERT_THAT(client().UpdateUnit(req2).status(), IsOk());
  read = GetUnit("units/H29");
  EXPECT_EQ(read.admin_code(), "40");
  EXPECT_EQ(read.valid_from().year(), 2025);
  EXPECT_EQ(read.display_name(), "Tên mới");
}

TEST_F(UnitsTest, UpdateStaleEtagIsAbortedAndChangesNothing) {
  v1::Unit u = MakeUnit("H29", v1::UNIT_KIND_PROVINCE, "", "Tên cũ");
  v1::UpdateUnitRequest first;
  first.mutable_unit()->set_name(u.name());
  first.mutable_unit()->set_etag(u.etag());
  first.mutable_unit()->set_display_name("Lần 1");
  first.mutable_update_mask()->add_paths("display_name");
  ASSERT_THAT(client().UpdateUnit(first).status(), IsOk());
  v1::Unit after_first = GetUnit(u.name());

  v1::UpdateUnitRequest stale = first;
  stale.clear_request_id();
  stale.mutable_unit()->set_display_name("Lần 2");
  EXPECT_THAT(client().UpdateUnit(stale).status(),
              IsError(absl::StatusCode::kAborted, "STALE_ETAG"));
  EXPECT_EQ(GetUnit(u.name()).SerializeAsString(), after_first.SerializeAsString());

  stale.mutable_unit()->set_etag(after_first.etag());
  ASSERT_THAT(client().UpdateUnit(stale).status(), IsOk());
  EXPECT_EQ(GetUnit(u.name()).display_name(), "Lần 2");
}

TEST_F(UnitsTest, UpdateErrors) {
  MakeUnit("H29");
  v1::Unit before = MakeUnit("H29.01", v1::UNIT_KIND_DEPARTMENT, "units/H29");
  auto update = [&](std::vector<std::string> paths, std::function<void(v1::Unit*)> mutate) {
    v1::UpdateUnitRequest req;
    req.mutable_unit()->set_name("units/H29.01");
    req.mutable_unit()->set_display_name("Tên mới");
    mutate(req.mutable_unit());
    for (auto& p : paths) req.mutable_update_mask()->add_paths(p);
    return client().UpdateUnit(req).status();
  };
  auto noop = [](v1::Unit*) {};
  EXPECT_THAT(update({}, noop), IsInvalidField("update_mask"));
  for (const std::string path : {"code", "kind", "parent", "state", "successor", "name", "etag",
                                 "create_time", "nope", "display_name.x", ""}) {
    SCOPED_TRACE(path);
    EXPECT_THAT(update({"display_name", path}, noop), IsInvalidField("update_mask"));
  }
  EXPECT_THAT(update({"display_name"}, [](v1::Unit* u) { u->clear_display_name(); }),
              IsInvalidField("unit.display_name"));
  EXPECT_THAT(update({"display_name"}, [](v1::Unit* u) { u->set_display_name("\xE1\xBB"); }),
              IsInvalidField("unit.display_name"));
  EXPECT_THAT(update({"admin_code"}, [](v1::Unit* u) { u->set_admin_code("x1"); }),
              IsInvalidField("unit.admin_code"));
  EXPECT_THAT(update({"valid_from", "valid_to"},
                     [](v1::Unit* u) {
                       *u->mutable_valid_from() = Day(2026, 5, 1);
                       *u->mutable_valid_to() = Day(2026, 4, 1);
                     }),
              IsInvalidField("unit.valid_to"));
  EXPECT_THAT(update({"display_name"}, [](v1::Unit* u) { u->set_name("units/H30"); }),
              IsError(absl::StatusCode::kNotFound, "NOT_FOUND"));
  EXPECT_THAT(update({"display_name"}, [](v1::Unit* u) { u->set_name("units/h30"); }),
              IsError(absl::StatusCode::kInvalidArgument, "INVALID_NAME"));
  EXPECT_EQ(GetUnit("units/H29.01").SerializeAsString(), before.SerializeAsString());
}

TEST_F(UnitsTest, ListFilters) {
  MakeUnit("G01", v1::UNIT_KIND_MINISTRY);
  MakeUnit("H29", v1::UNIT_KIND_PROVINCE);
  MakeUnit("H29.01", v1::UNIT_KIND_DEPARTMENT, "units/H29");
  MakeUnit("H29.02", v1::UNIT_KIND_DEPARTMENT, "units/H29");
  MakeUnit("H29.02.1", v1::UNIT_KIND_WORKING_GROUP, "units/H29.02");
  MakeUnit("H30", v1::UNIT_KIND_PROVINCE);
  MakeUnit("H30.01", v1::UNIT_KIND_DEPARTMENT, "units/H30");

  EXPECT_THAT(Names(AllUnits()),
              ElementsAre("units/G01", "units/H29", "units/H29.01", "units/H29.02",
                          "units/H29.02.1", "units/H30", "units/H30.01"));
  EXPECT_THAT(Names(AllUnits(R"(parent = "units/H29")")),
              ElementsAre("units/H29.01", "units/H29.02"));
  EXPECT_THAT(Names(AllUnits(R"(parent = "")")),
              ElementsAre("units/G01", "units/H29", "units/H30"));
  EXPECT_THAT(Names(AllUnits("kind = DEPARTMENT")),
              ElementsAre("units/H29.01", "units/H29.02", "units/H30.01"));
  EXPECT_THAT(Names(AllUnits("kind = UNIT_KIND_DEPARTMENT")),
              ElementsAre("units/H29.01", "units/H29.02", "units/H30.01"));
  EXPECT_THAT(Names(AllUnits(R"(kind = DEPARTMENT AND parent = "units/H30")")),
              ElementsAre("units/H30.01"));
  EXPECT_THAT(AllUnits("state = ACTIVE"), SizeIs(7));
  EXPECT_THAT(AllUnits("state = MERGED"), IsEmpty());
  EXPECT_THAT(AllUnits(R"(parent = "units/H31")"), IsEmpty());

  for (const std::string filter :
       {"kind = BANANA", "colour = RED", "kind ~ PROVINCE", "kind = UNSPECIFIED",
        "kind = PROVINCE OR kind = MINISTRY", "(kind = PROVINCE)", "kind =", "parent = \"units/H29",
        "state = ACTIVE and kind = PROVINCE", "kind = PROVINCE AND kind = MINISTRY"}) {
    SCOPED_TRACE(filter);
    v1::ListUnitsRequest req;
    req.set_filter(filter);
    EXPECT_THAT(client().ListUnits(req).status(),
                IsError(absl::StatusCode::kInvalidArgument, "INVALID_FILTER"));
  }
}

// The dashboard's unit picker searches ten thousand units on the server: by any words of
// the name, with or without diacritics, or by code, within the filter, page by page.
TEST_F(UnitsTest, ListQuerySearchesNamesAndCodes) {
  MakeUnit("H29", v1::UNIT_KIND_PROVINCE, "", "Thành phố Hà Nội");
  MakeUnit("H29.01", v1::UNIT_KIND_DEPARTMENT, "units/H29", "Sở Tư pháp");
  MakeUnit("H29.02", v1::UNIT_KIND_DEPARTMENT, "units/H29", "Sở Y tế");
  MakeUnit("H30", v1::UNIT_KIND_PROVINCE, "", "Tỉnh Hà Giang");
  MakeUnit("H30.01", v1::UNIT_KIND_DEPARTMENT, "units/H30", "Sở Tư pháp");
  auto search = [&](const std::string& query, const std::string& filter = "", int page_size = 0) {
    std::vector<std::string> names;
    v1::ListUnitsRequest req;
    req.set_query(query);
    req.set_filter(filter);
    req.set_page_size(page_size);
    do {
      v1::ListUnitsResponse page = Must(client().ListUnits(req), "ListUnits " + query);
      for (const v1::Unit& u : page.units()) names.push_back(u.name());
      req.set_page_token(page.next_page_token());
    } while (!req.page_token().empty());
    return names;
  };
  EXPECT_THAT(search("tư pháp"), ElementsAre("units/H29.01", "units/H30.01"));
  EXPECT_THAT(search("so tu phap"), ElementsAre("units/H29.01", "units/H30.01"));
  EXPECT_THAT(search("Hà"), ElementsAre("units/H29", "units/H30"));
  EXPECT_THAT(search("h29.0"), ElementsAre("units/H29.01", "units/H29.02"));
  EXPECT_THAT(search("tư pháp", R"(parent = "units/H30")"), ElementsAre("units/H30.01"));
  EXPECT_THAT(search("sở", "", 1), ElementsAre("units/H29.01", "units/H29.02", "units/H30.01"));
  EXPECT_THAT(search("công an"), IsEmpty());
  v1::ListUnitsRequest blank;
  blank.set_query(" - ");
  EXPECT_THAT(client().ListUnits(blank).status(), IsInvalidField("query"));
  blank.set_query(std::string(201, 'a'));
  EXPECT_THAT(client().ListUnits(blank).status(), IsInvalidField("query"));
}

TEST_F(UnitsTest, Pagination) {
  std::vector<std::string> expected;
  for (int i = 10; i < 60; ++i) {
    std::string code = absl::StrCat("H", i);
    MakeUnit(code);
    expected.push_back("units/" + code);
  }
  // Pages of 7: all 50, in order, no duplicates, each page at most 7.
  v1::ListUnitsRequest req;
  req.set_page_size(7);
  std::vector<std::string> seen;
  int pages = 0;
  while (true) {
    auto page = client().ListUnits(req);
    ASSERT_THAT(page.status(), IsOk());
    EXPECT_LE(page->units_size(), 7);
    for (const auto& u : page->units()) seen.push_back(u.name());
    ++pages;
    ASSERT_LT(pages, 100);
    if (page->next_page_token().empty()) break;
    req.set_page_token(page->next_page_token());
  }
  EXPECT_EQ(seen, expected);
  EXPECT_GE(pages, 8);

  // Default page size lists them all at once; huge sizes are clamped, not rejected.
  v1::ListUnitsRequest all;
  auto got = client().ListUnits(all);
  ASSERT_THAT(got.status(), IsOk());
  EXPECT_EQ(got->units_size(), 50);
  EXPECT_EQ(got->next_page_token(), "");
  all.set_page_size(100000);
  EXPECT_THAT(client().ListUnits(all).status(), IsOk());
  all.set_page_size(-1);
  EXPECT_THAT(client().ListUnits(all).status(), IsInvalidField("page_size"));
}

TEST_F(UnitsTest, InvalidPageTokens) {
  for (int i = 10; i < 15; ++i) MakeUnit(absl::StrCat("H", i));
  v1::ListUnitsRequest req;
  req.set_page_size(2);
  // A token used with a different filter is rejected.
  ExpectForeignPageTokensRejected(
      [&](const v1::ListUnitsRequest& r) { return client().ListUnits(r); }, req,
      std::function<void(v1::ListUnitsRequest*)>(
          [](v1::ListUnitsRequest* r) { r->set_filter("kind = PROVINCE"); }));
}

class UnitDepthTest : public ServerTest {};

TEST_F(UnitDepthTest, AUnitBelowTheDeepestLevelIsRefusedAndNothingChanges) {
  const v1::Unit deepest = MakeUnitChain(kMaxUnitDepth);  // every level is accepted
  v1::CreateUnitRequest req;
  req.mutable_unit()->set_code("D13");
  req.mutable_unit()->set_display_name("Quá sâu");
  req.mutable_unit()->set_kind(v1::UNIT_KIND_OTHER);
  req.mutable_unit()->set_parent(deepest.name());
  auto created = client().CreateUnit(req);
  EXPECT_THAT(created.status(),
              IsError(absl::StatusCode::kFailedPrecondition, "UNIT_TREE_TOO_DEEP"));
  EXPECT_THAT(std::string(created.status().message()), ::testing::HasSubstr("at most at level 12"));
  EXPECT_EQ(client::ErrorInfoOf(created.status()).metadata().at("max_depth"), "12");
  v1::GetUnitRequest get;
  get.set_name("units/D13");
  EXPECT_EQ(client().GetUnit(get).status().code(), absl::StatusCode::kNotFound);
  // The deepest unit takes work like any other.
  v1::Task task = MakeTask("units/D01", "Sâu nhất");
  v1::Assignment lead = Assign(task.name(), deepest.name(), v1::ASSIGNMENT_ROLE_LEAD);
  EXPECT_EQ(Start(lead.name()).state(), v1::ASSIGNMENT_STATE_IN_PROGRESS);
}

}  // namespace
}  // namespace d06::testing
