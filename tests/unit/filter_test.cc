#include "server/domain/filter.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "d06/v1/task.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/domain/errors.h"

namespace d06 {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Op = FilterTerm::Op;

FilterTerm Term(std::string key, Op op, std::string value) {
  FilterTerm term;
  term.key = std::move(key);
  term.op = op;
  term.value = std::move(value);
  return term;
}

std::vector<FilterTerm> MustParse(absl::string_view filter) {
  absl::StatusOr<std::vector<FilterTerm>> terms = ParseFilter(filter);
  EXPECT_TRUE(terms.ok()) << filter << ": " << terms.status();
  return terms.ok() ? *terms : std::vector<FilterTerm>{};
}

// ---------------------------------------------------------------------------------
// ParseFilter: accepted filters

TEST(FilterParseTest, EmptyFilterHasNoTerms) {
  EXPECT_THAT(MustParse(""), IsEmpty());
  EXPECT_THAT(MustParse("   \t\n"), IsEmpty());
}

TEST(FilterParseTest, EveryOperator) {
  EXPECT_THAT(MustParse("a=1"), ElementsAre(Term("a", Op::kEq, "1")));
  EXPECT_THAT(MustParse("a!=1"), ElementsAre(Term("a", Op::kNe, "1")));
  EXPECT_THAT(MustParse("a<1"), ElementsAre(Term("a", Op::kLt, "1")));
  EXPECT_THAT(MustParse("a<=1"), ElementsAre(Term("a", Op::kLe, "1")));
  EXPECT_THAT(MustParse("a>1"), ElementsAre(Term("a", Op::kGt, "1")));
  EXPECT_THAT(MustParse("a>=1"), ElementsAre(Term("a", Op::kGe, "1")));
}

TEST(FilterParseTest, WhitespaceAroundOperatorsAndFilterIsOptional) {
  const std::vector<FilterTerm> want = {Term("state", Op::kEq, "IN_PROGRESS")};
  EXPECT_EQ(MustParse("state=IN_PROGRESS"), want);
  EXPECT_EQ(MustParse("state = IN_PROGRESS"), want);
  EXPECT_EQ(MustParse("  state\t=  IN_PROGRESS \n"), want);
  EXPECT_EQ(MustParse("state =IN_PROGRESS"), want);
  EXPECT_THAT(MustParse("deadline >= 2026-01-31"),
              ElementsAre(Term("deadline", Op::kGe, "2026-01-31")));
}

TEST(FilterParseTest, BareValues) {
  EXPECT_THAT(MustParse("deadline<2026-01-31"),
              ElementsAre(Term("deadline", Op::kLt, "2026-01-31")));
  EXPECT_THAT(MustParse("unit=units/H29.15"), ElementsAre(Term("unit", Op::kEq, "units/H29.15")));
  EXPECT_THAT(MustParse("update_time>2026-01-31T08:00:00Z"),
              ElementsAre(Term("update_time", Op::kGt, "2026-01-31T08:00:00Z")));
  EXPECT_THAT(MustParse("x=aZ_09.:-/"), ElementsAre(Term("x", Op::kEq, "aZ_09.:-/")));
}

TEST(FilterParseTest, Keys) {
  EXPECT_THAT(MustParse("_x1=1"), ElementsAre(Term("_x1", Op::kEq, "1")));
  EXPECT_THAT(MustParse("create_time_2=1"), ElementsAre(Term("create_time_2", Op::kEq, "1")));
}

TEST(FilterParseTest, TermsJoinedWithAnd) {
  EXPECT_THAT(
      MustParse("state = IN_PROGRESS AND deadline < 2026-01-31 AND unit=units/H29"),
      ElementsAre(Term("state", Op::kEq, "IN_PROGRESS"), Term("deadline", Op::kLt, "2026-01-31"),
                  Term("unit", Op::kEq, "units/H29")));
  EXPECT_THAT(MustParse("a=1\tAND\n  b!=2"),
              ElementsAre(Term("a", Op::kEq, "1"), Term("b", Op::kNe, "2")));
  EXPECT_THAT(MustParse(R"(a="x" AND b=2)"),
              ElementsAre(Term("a", Op::kEq, "x"), Term("b", Op::kEq, "2")));
  // A bare value may contain "AND" as part of a word.
  EXPECT_THAT(MustParse("a=1AND"), ElementsAre(Term("a", Op::kEq, "1AND")));
}

TEST(FilterParseTest, QuotedValues) {
  EXPECT_THAT(MustParse(R"(title="Đề án 06")"), ElementsAre(Term("title", Op::kEq, "Đề án 06")));
  EXPECT_THAT(MustParse(R"(t="")"), ElementsAre(Term("t", Op::kEq, "")));
  EXPECT_THAT(MustParse(R"(t="a AND b = c")"), ElementsAre(Term("t", Op::kEq, "a AND b = c")));
  EXPECT_THAT(MustParse(R"(t = "x" )"), ElementsAre(Term("t", Op::kEq, "x")));
}

TEST(FilterParseTest, QuotedEscapes) {
  EXPECT_THAT(MustParse(R"(t="say \"hi\"")"), ElementsAre(Term("t", Op::kEq, R"(say "hi")")));
  EXPECT_THAT(MustParse(R"(t="back\\slash")"), ElementsAre(Term("t", Op::kEq, R"(back\slash)")));
  EXPECT_THAT(MustParse(R"(t="\\")"), ElementsAre(Term("t", Op::kEq, R"(\)")));
  EXPECT_THAT(MustParse(R"(t="\\\"")"), ElementsAre(Term("t", Op::kEq, R"(\")")));
}

// ---------------------------------------------------------------------------------
// ParseFilter: errors

struct ErrorCase {
  std::string filter;
  std::string message;
};

class FilterParseErrorTest : public testing::TestWithParam<ErrorCase> {};

TEST_P(FilterParseErrorTest, ReportsPositionAndExpectation) {
  const ErrorCase& c = GetParam();
  absl::StatusOr<std::vector<FilterTerm>> got = ParseFilter(c.filter);
  ASSERT_FALSE(got.ok()) << "accepted: " << c.filter;
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(got.status().message(), c.message);
  const v1::ErrorInfo info = ErrorInfoOf(got.status());
  EXPECT_EQ(info.reason(), "INVALID_FILTER");
  ASSERT_EQ(info.metadata().count("filter"), 1u);
  EXPECT_EQ(info.metadata().at("filter"), c.filter);
}

const char kOps[] = "use one of =, !=, <, <=, >, >=";
const char kKeyHint[] =
    "field names are lowercase letters, digits and _, starting with a letter or _";
const char kValueHint[] =
    "use a bare word of letters A-Z a-z, digits and _ . : - / or a double-quoted string";

INSTANTIATE_TEST_SUITE_P(
    FilterGrammar, FilterParseErrorTest,
    testing::Values(
        // Missing operator.
        ErrorCase{"state IN_PROGRESS",
                  std::string("filter: expected an operator after \"state\" at position 6; ") +
                      kOps + " (found 'I')"},
        ErrorCase{"state", std::string("filter: expected an operator after \"state\" at "
                                       "position 5; ") +
                               kOps + " (found the end of the filter)"},
        ErrorCase{"a!b", std::string("filter: expected an operator after \"a\" at position 1; ") +
                             kOps + " (found '!')"},
        ErrorCase{"a =< b",
                  std::string("filter: expected a value after \"a =\" at position 3 (found "
                              "'<'); ") +
                      kValueHint},
        ErrorCase{"task.title=x",
                  std::string("filter: expected an operator after \"task\" at position 4; ") +
                      kOps + " (found '.')"},
        // Bad or missing field name.
        ErrorCase{
            "State=1",
            std::string("filter: expected a field name at position 0 (found 'S'); ") + kKeyHint},
        ErrorCase{"=1", std::string("filter: expected a field name at position 0 (found '='); ") +
                            kKeyHint},
        ErrorCase{
            "  1a=1",
            std::string("filter: expected a field name at position 2 (found '1'); ") + kKeyHint},
        ErrorCase{"a=1 AND",
                  std::string("filter: expected a field name after AND at position 7 (found "
                              "the end of the filter); ") +
                      kKeyHint},
        ErrorCase{"a=1 AND  ",
                  std::string("filter: expected a field name after AND at position 9 (found "
                              "the end of the filter); ") +
                      kKeyHint},
        ErrorCase{"a=1 AND AND b=2",
                  std::string("filter: expected a field name after AND at position 8 (found "
                              "'A'); ") +
                      kKeyHint},
        // Missing value.
        ErrorCase{"state=", std::string("filter: expected a value after \"state =\" at position "
                                        "6 (found the end of the filter); ") +
                                kValueHint},
        ErrorCase{"state != ", std::string("filter: expected a value after \"state !=\" at "
                                           "position 9 (found the end of the filter); ") +
                                   kValueHint},
        ErrorCase{"a==b", std::string("filter: expected a value after \"a =\" at position 2 "
                                      "(found '='); ") +
                              kValueHint},
        ErrorCase{"title=Đề", std::string("filter: expected a value after \"title =\" at "
                                          "position 6 (found 'Đ'); ") +
                                  kValueHint},
        ErrorCase{"a=(1)", std::string("filter: expected a value after \"a =\" at position 2 "
                                       "(found '('); ") +
                               kValueHint},
        // Terms not joined by " AND ".
        ErrorCase{"a=1 b=2",
                  "filter: expected AND or the end of the filter after \"a=1\" at "
                  "position 4 (found 'b'); combine terms with \" AND \""},
        ErrorCase{"a=1 and b=2",
                  "filter: expected AND or the end of the filter after \"a=1\" "
                  "at position 4 (found 'a'); combine terms with \" AND \""},
        ErrorCase{"a=1 OR b=2",
                  "filter: expected AND or the end of the filter after \"a=1\" at "
                  "position 4 (found 'O'); combine terms with \" AND \""},
        ErrorCase{"a=1 ANDb=2",
                  "filter: expected AND or the end of the filter after \"a=1\" at "
                  "position 4 (found 'A'); combine terms with \" AND \""},
        ErrorCase{"a = \"x\"AND b=2",
                  "filter: expected AND or the end of the filter after \"a = \"x\"\" at "
                  "position 7 (found 'A'); combine terms with \" AND \""},
        ErrorCase{"state=IN PROGRESS",
                  "filter: expected AND or the end of the filter after \"state=IN\" at "
                  "position 9 (found 'P'); combine terms with \" AND \""},
        ErrorCase{"a=1 AND(b=2)",
                  "filter: expected whitespace after AND at position 7 (found "
                  "'(')"},
        // Quoted values.
        ErrorCase{"a=\"abc",
                  "filter: unterminated quoted value starting at position 2; end it "
                  "with \""},
        ErrorCase{"a=\"abc\\\"",
                  "filter: unterminated quoted value starting at position 2; "
                  "end it with \""},
        ErrorCase{"a = \"abc\\",
                  "filter: unterminated quoted value starting at position 4; "
                  "end it with \""},
        ErrorCase{"a=\"x\\ny\"",
                  "filter: invalid escape \\n at position 4 in a quoted value; "
                  "only \\\" and \\\\ are allowed"},
        ErrorCase{"a=\"x\\'\"",
                  "filter: invalid escape \\' at position 4 in a quoted value; "
                  "only \\\" and \\\\ are allowed"},
        // Positions count characters, not bytes: "Đề án" is 5 characters, 9 bytes.
        ErrorCase{"title=\"Đề án\" AND x",
                  std::string("filter: expected an operator after \"x\" at position 19; ") + kOps +
                      " (found the end of the filter)"},
        ErrorCase{"title=\"Đề án\" AND x=\"Đ\\đ\"",
                  "filter: invalid escape \\đ at position 22 in a quoted value; only \\\" and "
                  "\\\\ are allowed"}));

TEST(FilterParseTest, RejectsInvalidUtf8EchoingItWithReplacementCharacters) {
  absl::StatusOr<std::vector<FilterTerm>> got = ParseFilter("title=\"\xC0\xAF\"");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(got.status().message(), "filter: the filter is not valid UTF-8; send it as UTF-8 text");
  const v1::ErrorInfo info = ErrorInfoOf(got.status());
  EXPECT_EQ(info.reason(), "INVALID_FILTER");
  EXPECT_EQ(info.metadata().at("filter"), "title=\"\uFFFD\uFFFD\"");
}

// ---------------------------------------------------------------------------------
// CheckFilterTerms

const absl::flat_hash_map<std::string, std::vector<Op>>& Allowed() {
  static const auto* const allowed = new absl::flat_hash_map<std::string, std::vector<Op>>{
      {"state", {Op::kEq}},
      {"deadline", {Op::kEq, Op::kLt, Op::kLe, Op::kGt, Op::kGe}},
      {"unit", {Op::kNe, Op::kEq}},
  };
  return *allowed;
}

TEST(FilterCheckTermsTest, AcceptsSupportedKeysAndOps) {
  EXPECT_TRUE(CheckFilterTerms({}, Allowed()).ok());
  EXPECT_TRUE(CheckFilterTerms({}, {}).ok());
  EXPECT_TRUE(CheckFilterTerms(MustParse("state=IN_PROGRESS AND deadline<2026-01-31 AND "
                                         "deadline>=2025-01-01 AND unit!=units/H29"),
                               Allowed())
                  .ok());
}

TEST(FilterCheckTermsTest, RejectsUnknownKeyListingSortedSupportedKeys) {
  absl::Status s = CheckFilterTerms(MustParse("state=X AND owner=me"), Allowed());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "filter: unknown field \"owner\"; supported fields: deadline, state, unit");
  const v1::ErrorInfo info = ErrorInfoOf(s);
  EXPECT_EQ(info.reason(), "INVALID_FILTER");
  EXPECT_EQ(info.metadata().at("field"), "owner");
}

TEST(FilterCheckTermsTest, RejectsAKeyComparedWithEqualsTwice) {
  absl::Status s = CheckFilterTerms(MustParse("state=A AND unit=units/H29 AND state=B"), Allowed());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(s), "INVALID_FILTER");
  EXPECT_EQ(s.message(),
            "filter: field \"state\" is compared with = more than once; a filter may give one "
            "value per field");
  EXPECT_EQ(ErrorInfoOf(s).metadata().at("field"), "state");
  // Bounds may repeat: they narrow the range.
  EXPECT_TRUE(CheckFilterTerms(MustParse("deadline>=2026-01-01 AND deadline>=2026-02-01 AND "
                                         "deadline<2026-12-31 AND deadline=2026-03-01"),
                               Allowed())
                  .ok());
}

TEST(FilterCheckTermsTest, RejectsUnsupportedOperatorListingTheSupportedOnes) {
  absl::Status s = CheckFilterTerms(MustParse("state<X"), Allowed());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(s), "INVALID_FILTER");
  EXPECT_EQ(s.message(), "filter: field \"state\" does not support the operator <; use =");

  s = CheckFilterTerms(MustParse("unit>=units/H29"), Allowed());
  EXPECT_EQ(s.message(), "filter: field \"unit\" does not support the operator >=; use =, !=");
  EXPECT_EQ(ErrorInfoOf(s).metadata().at("field"), "unit");

  s = CheckFilterTerms(MustParse("deadline!=2026-01-01"), Allowed());
  EXPECT_EQ(s.message(),
            "filter: field \"deadline\" does not support the operator !=; use =, <, <=, >, >=");
}

TEST(FilterCheckTermsTest, MethodWithoutFilteringRejectsAnyTerm) {
  absl::Status s = CheckFilterTerms(MustParse("state=X"), {});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(s), "INVALID_FILTER");
  EXPECT_EQ(s.message(),
            "filter: this method does not support filtering, but the filter uses "
            "\"state\"; send an empty filter");
}

// ---------------------------------------------------------------------------------
// ParseEnumValue

TEST(FilterParseEnumValueTest, AcceptsShortAndFullNamesCaseInsensitively) {
  const auto* desc = v1::AssignmentState_descriptor();
  EXPECT_EQ(*ParseEnumValue(desc, "state", "IN_PROGRESS"), v1::ASSIGNMENT_STATE_IN_PROGRESS);
  EXPECT_EQ(*ParseEnumValue(desc, "state", "in_progress"), v1::ASSIGNMENT_STATE_IN_PROGRESS);
  EXPECT_EQ(*ParseEnumValue(desc, "state", "ASSIGNMENT_STATE_IN_PROGRESS"),
            v1::ASSIGNMENT_STATE_IN_PROGRESS);
  EXPECT_EQ(*ParseEnumValue(desc, "state", "assignment_state_Completed"),
            v1::ASSIGNMENT_STATE_COMPLETED);
  EXPECT_EQ(*ParseEnumValue(desc, "state", "NOT_STARTED"), v1::ASSIGNMENT_STATE_NOT_STARTED);
  EXPECT_EQ(*ParseEnumValue(desc, "state", "REVOKED"), v1::ASSIGNMENT_STATE_REVOKED);
  EXPECT_EQ(*ParseEnumValue(v1::TaskState_descriptor(), "task_state", "cancelled"),
            v1::TASK_STATE_CANCELLED);
}

constexpr char kValidStates[] =
    "NOT_STARTED, IN_PROGRESS, PENDING_ACCEPTANCE, COMPLETED, DECLINED, REVOKED, TRANSFERRED";

TEST(FilterParseEnumValueTest, RejectsUnspecified) {
  for (const char* value : {"UNSPECIFIED", "unspecified", "ASSIGNMENT_STATE_UNSPECIFIED"}) {
    absl::StatusOr<int> got = ParseEnumValue(v1::AssignmentState_descriptor(), "state", value);
    ASSERT_FALSE(got.ok()) << value;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ErrorReason(got.status()), "INVALID_FILTER");
    EXPECT_EQ(got.status().message(),
              std::string("filter: state cannot be UNSPECIFIED; use one of ") + kValidStates);
  }
}

TEST(FilterParseEnumValueTest, RejectsUnknownNamesListingValidShortNames) {
  for (const char* value : {"DONE", "", "2", "TASK_STATE_ACTIVE", "ASSIGNMENT_STATE_",
                            "STATE_IN_PROGRESS", "IN PROGRESS"}) {
    absl::StatusOr<int> got = ParseEnumValue(v1::AssignmentState_descriptor(), "state", value);
    ASSERT_FALSE(got.ok()) << value;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    const v1::ErrorInfo info = ErrorInfoOf(got.status());
    EXPECT_EQ(info.reason(), "INVALID_FILTER");
    EXPECT_EQ(info.metadata().at("field"), "state");
    // The rule first, the value last (a long value cannot hide the valid names).
    EXPECT_EQ(got.status().message(), std::string("filter: state must be one of ") + kValidStates +
                                          "; got \"" + value + "\"");
  }
}

TEST(FilterParseEnumValueTest, RejectsNullDescriptor) {
  EXPECT_EQ(ParseEnumValue(nullptr, "state", "X").status().code(), absl::StatusCode::kInternal);
}

// ---------------------------------------------------------------------------------
// Helpers

TEST(FilterOpStringTest, SpellsEveryOperator) {
  EXPECT_EQ(FilterOpString(Op::kEq), "=");
  EXPECT_EQ(FilterOpString(Op::kNe), "!=");
  EXPECT_EQ(FilterOpString(Op::kLt), "<");
  EXPECT_EQ(FilterOpString(Op::kLe), "<=");
  EXPECT_EQ(FilterOpString(Op::kGt), ">");
  EXPECT_EQ(FilterOpString(Op::kGe), ">=");
  EXPECT_EQ(testing::PrintToString(Term("state", Op::kNe, "X")), "state != \"X\"");
}

}  // namespace
}  // namespace d06
