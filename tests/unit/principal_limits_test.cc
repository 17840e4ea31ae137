// The rate limits per principal (server/api/principal_limits.h): the token bucket on a
// fake clock, the budgets by role and for portals, the error, the flag's syntax, and the
// table staying within its size.
#include "server/api/principal_limits.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "d06/v1/api_names.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/domain/errors.h"

namespace d06::api {
namespace {

using ::testing::HasSubstr;

const absl::Time kStart = absl::FromUnixSeconds(1767225600);

TEST(TokenBucketTest, StartsFullThenRefillsContinuously) {
  const Rate rate{2, 3};  // 2 a second, 3 at most
  TokenBucket bucket(rate, kStart);
  EXPECT_TRUE(bucket.Full(rate, kStart));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(bucket.Take(rate, kStart), absl::ZeroDuration()) << i;
  // Empty: a token is back in half a second.
  EXPECT_EQ(bucket.Take(rate, kStart), absl::Milliseconds(500));
  EXPECT_EQ(bucket.Take(rate, kStart + absl::Milliseconds(200)), absl::Milliseconds(300));
  EXPECT_EQ(bucket.Take(rate, kStart + absl::Milliseconds(500)), absl::ZeroDuration());
  EXPECT_FALSE(bucket.Full(rate, kStart + absl::Milliseconds(500)));
  // Never more than the burst, however long it rests.
  const absl::Time later = kStart + absl::Hours(1);
  EXPECT_TRUE(bucket.Full(rate, later));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(bucket.Take(rate, later), absl::ZeroDuration()) << i;
  EXPECT_GT(bucket.Take(rate, later), absl::ZeroDuration());
}

TEST(TokenBucketTest, ClockGoingBackTakesNothingBack) {
  const Rate rate{1, 1};
  TokenBucket bucket(rate, kStart);
  EXPECT_EQ(bucket.Take(rate, kStart), absl::ZeroDuration());
  EXPECT_EQ(bucket.Take(rate, kStart - absl::Seconds(10)), absl::Seconds(1));
  EXPECT_EQ(bucket.Take(rate, kStart + absl::Seconds(1)), absl::ZeroDuration());
}

Caller CallerOf(const std::string& name, std::vector<std::pair<v1::Role, std::string>> bindings,
                v1::PrincipalKind kind = v1::PRINCIPAL_KIND_PERSON) {
  auto principal = std::make_shared<v1::Principal>();
  principal->set_name(name);
  principal->set_kind(kind);
  for (const auto& [role, unit] : bindings) {
    v1::RoleBinding* b = principal->add_bindings();
    b->set_role(role);
    b->set_unit(unit);
  }
  Caller caller;
  caller.actor = name;
  caller.principal = std::move(principal);
  return caller;
}

class PrincipalLimiterTest : public ::testing::Test {
 protected:
  PrincipalLimiterTest() : clock_(kStart) {}
  std::unique_ptr<PrincipalLimiter> Limiter(size_t max_principals = 100) {
    PrincipalLimiter::Options options;
    options.limits.viewer = {{1, 3}, {1, 1}};
    options.limits.member = {{1, 3}, {1, 2}};
    options.limits.coordinator = {{1, 3}, {1, 4}};
    options.limits.admin = {{1, 5}, {1, 5}};
    options.limits.portal = {{1, 10}, {1, 6}};
    options.max_principals = max_principals;
    options.clock = &clock_;
    return std::make_unique<PrincipalLimiter>(options);
  }
  // How many calls in a row pass at this instant.
  static int Passing(const PrincipalLimiter& limiter, const Caller& caller, bool write) {
    int n = 0;
    while (n < 1000 && limiter.Admit(caller, write).ok()) ++n;
    return n;
  }
  FakeClock clock_;
};

TEST_F(PrincipalLimiterTest, ReadsAndWritesAreSeparateBudgets) {
  auto limiter = Limiter();
  const Caller an = CallerOf("principals/an", {{v1::ROLE_MEMBER, "units/H40"}});
  EXPECT_EQ(Passing(*limiter, an, /*write=*/false), 3);
  EXPECT_EQ(Passing(*limiter, an, /*write=*/true), 2);  // reads spent, writes still there
  const absl::Status refused = limiter->Admit(an, /*write=*/true);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorReason(refused), v1::reason::kRateLimited);
  const v1::ErrorInfo info = ErrorInfoOf(refused);
  EXPECT_EQ(info.metadata().at("budget"), "writes");
  EXPECT_EQ(info.metadata().at(v1::kRetryAfterMsKey), "1000");
  EXPECT_THAT(refused.message(),
              HasSubstr("principals/an has used its budget of writes (member: 1 a second, "
                        "bursts of 2); retry in 1s"));
  clock_.Advance(absl::Milliseconds(400));
  EXPECT_EQ(ErrorInfoOf(limiter->Admit(an, false)).metadata().at(v1::kRetryAfterMsKey), "600");
  clock_.Advance(absl::Milliseconds(700));
  EXPECT_TRUE(limiter->Admit(an, false).ok());
  EXPECT_TRUE(limiter->Admit(an, true).ok());
}

TEST_F(PrincipalLimiterTest, OnePrincipalOverBudgetLeavesOthersAlone) {
  auto limiter = Limiter();
  const Caller an = CallerOf("principals/an", {{v1::ROLE_VIEWER, "units/H40"}});
  const Caller binh = CallerOf("principals/binh", {{v1::ROLE_VIEWER, "units/H40"}});
  EXPECT_EQ(Passing(*limiter, an, false), 3);
  EXPECT_EQ(Passing(*limiter, binh, false), 3);
  EXPECT_EQ(limiter->tracked(), 2u);
}

TEST_F(PrincipalLimiterTest, HighestRoleAndPortalsPickTheBudget) {
  auto limiter = Limiter();
  // No role at all (an impersonator-only binding): the viewer's.
  EXPECT_EQ(Passing(*limiter, CallerOf("principals/a", {}), true), 1);
  EXPECT_EQ(Passing(*limiter, CallerOf("principals/b", {{v1::ROLE_IMPERSONATOR, "*"}}), true), 1);
  EXPECT_EQ(Passing(*limiter,
                    CallerOf("principals/c",
                             {{v1::ROLE_VIEWER, "*"}, {v1::ROLE_COORDINATOR, "units/H40"}}),
                    true),
            4);
  EXPECT_EQ(Passing(*limiter, CallerOf("principals/d", {{v1::ROLE_ADMIN, "*"}}), true), 5);
  EXPECT_EQ(Passing(*limiter,
                    CallerOf("principals/cong", {{v1::ROLE_IMPERSONATOR, "units/H40"}},
                             v1::PRINCIPAL_KIND_PORTAL),
                    false),
            10);
}

TEST_F(PrincipalLimiterTest, APortalActingForPeoplePaysItself) {
  auto limiter = Limiter();
  Caller for_an = CallerOf("principals/an", {{v1::ROLE_VIEWER, "units/H40"}});
  for_an.via = "principals/cong";
  Caller for_binh = CallerOf("principals/binh", {{v1::ROLE_VIEWER, "units/H40"}});
  for_binh.via = "principals/cong";
  EXPECT_EQ(Passing(*limiter, for_an, true), 6);  // the portal's writes
  const absl::Status refused = limiter->Admit(for_binh, true);
  EXPECT_EQ(ErrorReason(refused), v1::reason::kRateLimited);
  EXPECT_THAT(refused.message(), HasSubstr("principals/cong has used its budget of writes"));
  // an's own budget is untouched.
  for_an.via.clear();
  EXPECT_EQ(Passing(*limiter, for_an, true), 1);
}

TEST_F(PrincipalLimiterTest, NoPrincipalOrOffPasses) {
  auto limiter = Limiter();
  Caller anonymous;
  EXPECT_EQ(Passing(*limiter, anonymous, true), 1000);
  PrincipalLimiter::Options off;
  off.limits.on = false;
  PrincipalLimiter none(off);
  EXPECT_EQ(Passing(none, CallerOf("principals/an", {}), true), 1000);
  EXPECT_EQ(none.tracked(), 0u);
}

TEST_F(PrincipalLimiterTest, TableStaysWithinItsSizeForgettingIdleFirst) {
  auto limiter = Limiter(/*max_principals=*/8);
  auto viewer = [](int i) {
    return CallerOf(absl::StrCat("principals/p", i), {{v1::ROLE_VIEWER, "units/H40"}});
  };
  // 8 busy principals (empty read buckets)...
  for (int i = 0; i < 8; ++i) EXPECT_EQ(Passing(*limiter, viewer(i), false), 3);
  EXPECT_EQ(limiter->tracked(), 8u);
  // ... a 9th pushes out the least recently seen one: still 8.
  clock_.Advance(absl::Milliseconds(10));
  EXPECT_TRUE(limiter->Admit(viewer(8), false).ok());
  EXPECT_EQ(limiter->tracked(), 8u);
  // Once their buckets have refilled they are forgotten before anyone busy.
  clock_.Advance(absl::Seconds(10));
  for (int i = 100; i < 103; ++i) EXPECT_TRUE(limiter->Admit(viewer(i), false).ok());
  EXPECT_LE(limiter->tracked(), 8u);
  // Many more principals than the table holds: it never grows past its size.
  for (int i = 1000; i < 2000; ++i) {
    clock_.Advance(absl::Milliseconds(1));
    EXPECT_EQ(Passing(*limiter, viewer(i), false), 3);
    ASSERT_LE(limiter->tracked(), 8u);
  }
  // A busy principal that was forgotten starts again with a full bucket.
  EXPECT_EQ(Passing(*limiter, viewer(1000), false), 3);
}

TEST(RateLimitsFlagTest, ParsesRolesLeavingTheOthers) {
  RateLimits limits;
  ASSERT_TRUE(ParseRateLimits("", &limits).ok());
  EXPECT_EQ(FormatRateLimits(limits),
            "viewer=20/100:2/20,member=20/100:5/50,coordinator=20/100:10/100,"
            "admin=50/200:20/200,portal=200/1000:50/500");
  ASSERT_TRUE(ParseRateLimits(" viewer=10/50:0.5/10, portal=500/2000:100/1000", &limits).ok());
  EXPECT_EQ(FormatRateLimits(limits),
            "viewer=10/50:0.5/10,member=20/100:5/50,coordinator=20/100:10/100,"
            "admin=50/200:20/200,portal=500/2000:100/1000");
  ASSERT_TRUE(ParseRateLimits("off", &limits).ok());
  EXPECT_FALSE(limits.on);
  EXPECT_EQ(FormatRateLimits(limits), "off");
}

TEST(RateLimitsFlagTest, RefusesWhatItCannotRead) {
  for (const char* bad :
       {"viewer", "viewer=20/100", "viewer=20:2", "guest=1/1:1/1", "viewer=0/10:1/1",
        "viewer=1/0.5:1/1", "viewer=-1/10:1/1", "viewer=1/10:1/1,", "viewer=nan/10:1/1",
        "viewer=1/10:1/1:1/1", "viewer=1/10/3:1/1"}) {
    RateLimits limits;
    const absl::Status status = ParseRateLimits(bad, &limits);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(status.message(), HasSubstr("--rate_limits")) << bad;
    EXPECT_EQ(FormatRateLimits(limits), FormatRateLimits(RateLimits{})) << bad;
  }
}

}  // namespace
}  // namespace d06::api
