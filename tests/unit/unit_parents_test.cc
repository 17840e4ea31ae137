// UnitParents: the unit tree walked from memory, as WalkAncestry walks it from the store,
// until a change of parents is announced.
#include "server/model/unit_parents.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/core_env.h"

namespace d06::testing {
namespace {

using ::testing::ElementsAre;

class UnitParentsTest : public ::testing::Test {
 protected:
  UnitParentsTest() : env_(absl::FromCivil(absl::CivilDay(2025, 6, 1), absl::UTCTimeZone())) {}

  void MakeUnit(const std::string& code, const std::string& parent) {
    v1::CreateUnitRequest req;
    req.mutable_unit()->set_code(code);
    req.mutable_unit()->set_display_name("Đơn vị " + code);
    req.mutable_unit()->set_kind(parent.empty() ? v1::UNIT_KIND_PROVINCE : v1::UNIT_KIND_DISTRICT);
    if (!parent.empty()) req.mutable_unit()->set_parent("units/" + parent);
    v1::CreateUnitResponse created;
    ASSERT_TRUE(CoreEnv::Await([&](Core::Done done) {
                  env_.core().CreateUnit(Caller(), req, &created, std::move(done));
                }).ok());
  }

  absl::Status Move(const std::string& code, const std::string& parent) {
    v1::MoveUnitRequest req;
    req.set_name("units/" + code);
    req.set_new_parent("units/" + parent);
    req.mutable_effective_date()->set_year(2025);
    req.mutable_effective_date()->set_month(6);
    req.mutable_effective_date()->set_day(1);
    req.set_reason("sắp xếp");
    v1::MoveUnitResponse moved;
    return CoreEnv::Await(
        [&](Core::Done done) { env_.core().MoveUnit(Caller(), req, &moved, std::move(done)); });
  }

  std::vector<std::string> Walk(UnitParents& parents, const std::string& code) {
    std::vector<std::string> chain;
    EXPECT_TRUE(
        parents.Walk(code, &chain, [](const std::vector<std::string>&) { return false; }).ok());
    return chain;
  }

  CoreEnv env_;
};

TEST_F(UnitParentsTest, WalksAsTheStoreAndRemembersUntilTold) {
  MakeUnit("H01", "");
  MakeUnit("H01.D1", "H01");
  MakeUnit("H01.D1.X1", "H01.D1");
  MakeUnit("H02", "");
  UnitParents parents(&env_.store());
  EXPECT_THAT(Walk(parents, "H01.D1.X1"), ElementsAre("H01.D1.X1", "H01.D1", "H01"));
  EXPECT_EQ(parents.size(), 3u);
  // An unknown unit ends the chain and is not remembered.
  EXPECT_THAT(Walk(parents, "H99"), ElementsAre("H99"));
  EXPECT_EQ(parents.size(), 3u);
  // `enough` stops the walk: the units above are not read.
  UnitParents fresh(&env_.store());
  std::vector<std::string> chain;
  ASSERT_TRUE(
      fresh
          .Walk("H01.D1.X1", &chain,
                [](const std::vector<std::string>& so_far) { return so_far.back() == "H01.D1"; })
          .ok());
  EXPECT_THAT(chain, ElementsAre("H01.D1.X1", "H01.D1"));
  EXPECT_EQ(fresh.size(), 1u);

  ASSERT_TRUE(Move("H01.D1", "H02").ok());
  // Until told, the parents held are the ones read (the core tells its own at once).
  EXPECT_THAT(Walk(parents, "H01.D1.X1"), ElementsAre("H01.D1.X1", "H01.D1", "H01"));
  parents.Changed();
  EXPECT_EQ(parents.size(), 0u);
  EXPECT_THAT(Walk(parents, "H01.D1.X1"), ElementsAre("H01.D1.X1", "H01.D1", "H02"));
}

}  // namespace
}  // namespace d06::testing
