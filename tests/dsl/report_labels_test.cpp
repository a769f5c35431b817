// The report's grouping and numbering as the checker sees it (issue #16): `label stt`
// that is not a row number (W105), two rules of one group with one number (W106), a rule
// without `label group` where others have one (W107), a label name one letter off the
// report's (W108). Each warning names the rule, stands where the label (or the rule) is
// written, and says what the report will do; none stops the rule set from checking.
#include "model/report_labels.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dsl/check.hpp"

namespace tiendo::dsl {
namespace {

constexpr const char* kPrelude = "indicator rate { title \"Tỷ lệ\" unit percent }\n";

struct Checked {
  Program program;
  std::optional<model::RuleSet> rules;
};

Checked check_text(const std::string& body) {
  Checked checked{load_text("case.rules", std::string(kPrelude) + body), std::nullopt};
  checked.rules = check(checked.program);
  return checked;
}

std::string describe(const Checked& checked) {
  std::string out;
  for (const Diagnostic& d : checked.program.diagnostics.all()) {
    out += render(d, checked.program.sources);
  }
  return out;
}

// The warnings, each with its line and column in the body (the prelude is one line).
struct Seen {
  Code code;
  std::uint32_t line;
  std::uint32_t column;
  std::string message;
};

std::vector<Seen> warnings(const Checked& checked) {
  std::vector<Seen> out;
  for (const Diagnostic& d : checked.program.diagnostics.all()) {
    if (d.severity != Severity::warning) continue;
    const LineColumn lc = checked.program.sources.line_column(d.location.file, d.location.offset);
    out.push_back({d.code, lc.line - 1, lc.column, d.message});
  }
  return out;
}

TEST(RowNumber, IsAPositiveWholeNumberOrDotted) {
  using model::parse_row_number;
  using model::RowNumber;
  EXPECT_EQ(parse_row_number("1"), (RowNumber{1}));
  EXPECT_EQ(parse_row_number("12"), (RowNumber{12}));
  EXPECT_EQ(parse_row_number("2.1"), (RowNumber{2, 1}));
  EXPECT_EQ(parse_row_number("2.10.3"), (RowNumber{2, 10, 3}));
  EXPECT_EQ(parse_row_number("999999999"), (RowNumber{999999999}));
  for (const char* text : {"", "0", "01", "2.0", "2.01", "-1", "+1", "1e3", "1.5e2", "2.", ".2",
                           "2..1", " 1", "1 ", "II.3", "3a", "a", "1,5", "1234567890"}) {
    EXPECT_FALSE(parse_row_number(text).has_value()) << text;
  }
  // Part by part: 2.9 before 2.10, 3 before 3.1 before 4.
  EXPECT_LT(*parse_row_number("2.9"), *parse_row_number("2.10"));
  EXPECT_LT(*parse_row_number("3"), *parse_row_number("3.1"));
  EXPECT_LT(*parse_row_number("3.1"), *parse_row_number("4"));
}

TEST(ReportLabels, GroupsAndRowNumbersAsTheConventionWritesThemCheckCleanly) {
  const Checked checked = check_text(R"(
rule a { require rate >= 50% by 2022  label group = "Hạ tầng số"  label stt = "1" }
rule b { require rate >= 50% by 2022  label group = "Hạ tầng số"  label stt = "2.1" }
rule c { require rate >= 50% by 2022  label group = "Hạ tầng số"  label stt = "2.10" }
rule d { require rate >= 50% by 2022  label group = "Hạ tầng số" }
rule e { require rate >= 50% by 2022  label group = "Chính quyền số"  label stt = "1" }
rule f { require rate >= 50% by 2022  label group = "Khác"  label stt = "1"  label plan = "KH1" }
)");
  ASSERT_TRUE(checked.rules.has_value()) << describe(checked);
  EXPECT_TRUE(checked.program.diagnostics.empty()) << describe(checked);
}

TEST(ReportLabels, WithoutGroupsNoRuleIsWarnedOfOne) {
  const Checked checked = check_text(R"(
rule a { require rate >= 50% by 2022  label stt = "1" }
rule b { require rate >= 50% by 2022  label stt = "2" }
rule c { require rate >= 50% by 2022 }
)");
  ASSERT_TRUE(checked.rules.has_value()) << describe(checked);
  EXPECT_TRUE(checked.program.diagnostics.empty()) << describe(checked);
}

TEST(ReportLabels, WarnsOfARowNumberTheReportCannotOrder) {
  const Checked checked = check_text(R"(
rule a { require rate >= 50% by 2022  label stt = "II.3" }
rule b { require rate >= 50% by 2022  label stt = "" }
)");
  ASSERT_TRUE(checked.rules.has_value()) << describe(checked);  // a warning is not an error
  const std::vector<Seen> seen = warnings(checked);
  ASSERT_EQ(seen.size(), 2u) << describe(checked);
  EXPECT_EQ(seen[0].code, Code::invalid_row_number);
  EXPECT_EQ(seen[0].line, 2u);
  EXPECT_EQ(seen[0].column, 51u);  // the value
  EXPECT_EQ(seen[0].message,
            "rule 'a': label stt = \"II.3\" is not a row number (a positive whole number, or "
            "dotted like \"2.1\"); the report lists the rule after the numbered rows of its "
            "group, numbered \"II.3\" as written");
  EXPECT_EQ(seen[1].code, Code::invalid_row_number);
  EXPECT_EQ(seen[1].line, 3u);
  EXPECT_EQ(seen[1].message,
            "rule 'b': label stt is empty; the report numbers the rule as if it had none, on "
            "from the last number of its group");
  EXPECT_EQ(code_id(Code::invalid_row_number), "W105");
  EXPECT_EQ(code_name(Code::invalid_row_number), "invalid-row-number");
}

TEST(ReportLabels, WarnsOfTwoRulesOfOneGroupWithOneRowNumber) {
  const Checked checked = check_text(R"(
rule a { require rate >= 50% by 2022  label group = "Hạ tầng số"  label stt = "3" }
rule b { require rate >= 50% by 2022  label group = "Chính quyền số"  label stt = "3" }
rule c { require rate >= 50% by 2022  label group = "Hạ tầng số"  label stt = "3.1" }
rule d { require rate >= 50% by 2022  label stt = "3"  label group = "Hạ tầng số" }
)");
  ASSERT_TRUE(checked.rules.has_value()) << describe(checked);
  const std::vector<Seen> seen = warnings(checked);
  ASSERT_EQ(seen.size(), 1u) << describe(checked);  // b is in another group; 3.1 is not 3
  EXPECT_EQ(seen[0].code, Code::duplicate_row_number);
  EXPECT_EQ(seen[0].line, 5u);
  EXPECT_EQ(seen[0].column, 51u);
  EXPECT_EQ(seen[0].message,
            "rule 'd' has the row number 3 of rule 'a' (case.rules:3) in group 'Hạ tầng số'; "
            "the report numbers both rows 3");
  const Diagnostic& d = checked.program.diagnostics.all().back();
  ASSERT_EQ(d.notes.size(), 1u);
  EXPECT_EQ(d.notes[0].message, "rule 'a' is numbered 3 here");
  const LineColumn note =
      checked.program.sources.line_column(d.notes[0].location.file, d.notes[0].location.offset);
  EXPECT_EQ(note.line, 3u);
  EXPECT_EQ(note.column, 79u);
  EXPECT_EQ(code_id(Code::duplicate_row_number), "W106");
}

TEST(ReportLabels, RulesWithoutAGroupShareKhacAndItsNumbers) {
  const Checked checked = check_text(R"(
rule a { require rate >= 50% by 2022  label stt = "1" }
rule b { require rate >= 50% by 2022  label group = "Khác"  label stt = "1" }
)");
  ASSERT_TRUE(checked.rules.has_value()) << describe(checked);
  const std::vector<Seen> seen = warnings(checked);
  ASSERT_EQ(seen.size(), 2u) << describe(checked);
  EXPECT_EQ(seen[0].code, Code::missing_group);
  EXPECT_EQ(seen[1].code, Code::duplicate_row_number);
  EXPECT_NE(seen[1].message.find("in group 'Khác'"), std::string::npos) << seen[1].message;
}

TEST(ReportLabels, WarnsOfARuleWithoutAGroupWhereOthersHaveOne) {
  const Checked checked = check_text(R"(
rule grouped { require rate >= 50% by 2022  label group = "Hạ tầng số"  label stt = "1" }
rule loose { require rate >= 50% by 2022 }
rule blank { require rate >= 50% by 2022  label group = "" }
)");
  ASSERT_TRUE(checked.rules.has_value()) << describe(checked);
  const std::vector<Seen> seen = warnings(checked);
  ASSERT_EQ(seen.size(), 2u) << describe(checked);
  EXPECT_EQ(seen[0].code, Code::missing_group);
  EXPECT_EQ(seen[0].line, 3u);
  EXPECT_EQ(seen[0].column, 6u);  // the rule's name
  EXPECT_EQ(seen[0].message,
            "rule 'loose' has no `label group`, which other rules have; the report lists it "
            "under 'Khác', after every group (label group = \"…\" places it)");
  EXPECT_EQ(seen[1].code, Code::missing_group);
  EXPECT_EQ(seen[1].line, 4u);
  EXPECT_EQ(seen[1].column, 57u);  // the empty value
  EXPECT_EQ(seen[1].message,
            "rule 'blank' has an empty `label group`; the report lists it under 'Khác', after "
            "every group (label group = \"…\" places it)");
  EXPECT_EQ(code_id(Code::missing_group), "W107");
}

TEST(ReportLabels, OnlyRulesAreListedSoOnlyRulesAreWarnedOfAGroup) {
  const Checked checked = check_text(R"(
indicator teams { unit count  label group = "Hạ tầng số" }
task t { due 2022 }
rule a { require teams >= 1 by 2022 }
)");
  ASSERT_TRUE(checked.rules.has_value()) << describe(checked);
  EXPECT_TRUE(checked.program.diagnostics.empty()) << describe(checked);
}

TEST(ReportLabels, WarnsOfALabelNameOneLetterOffTheReports) {
  const Checked checked = check_text(R"(
rule a { require rate >= 50% by 2022  label grop = "Hạ tầng số"  label STT = "1" }
rule b { require rate >= 50% by 2022  label group = "Hạ tầng số"  label groups = "x" }
rule c { require rate >= 50% by 2022  label group = "Hạ tầng số"  label plan = "KH1"  label team = "a" }
)");
  ASSERT_TRUE(checked.rules.has_value()) << describe(checked);
  const std::vector<Seen> seen = warnings(checked);
  // a: both names; and, without a group, W107. b has its group: `groups` is its own label.
  ASSERT_EQ(seen.size(), 3u) << describe(checked);
  EXPECT_EQ(seen[0].code, Code::missing_group);
  EXPECT_EQ(seen[1].code, Code::misspelt_label);
  EXPECT_EQ(seen[1].line, 2u);
  EXPECT_EQ(seen[1].column, 45u);  // the label's name
  EXPECT_EQ(seen[1].message,
            "rule 'a': the report does not read `label grop`; did you mean `label group`, which "
            "places the rule in a group of the report's table?");
  EXPECT_EQ(seen[2].code, Code::misspelt_label);
  EXPECT_EQ(seen[2].message,
            "rule 'a': the report does not read `label STT`; did you mean `label stt`, which "
            "numbers the rule's row in its group?");
  EXPECT_EQ(code_id(Code::misspelt_label), "W108");
  EXPECT_EQ(code_name(Code::misspelt_label), "misspelt-label");
}

TEST(ReportLabels, TheRuleSetAcrossFilesIsOneTable) {
  LoadOptions options;
  options.reader = [](const std::string& path, std::string& error) -> std::optional<std::string> {
    if (path == "main.rules") {
      return std::string(kPrelude) + "include \"more.rules\"\n" +
             "rule a { require rate >= 50% by 2022  label group = \"G\"  label stt = \"1\" }\n";
    }
    if (path == "more.rules") {
      return std::string(
          "rule b { require rate >= 50% by 2022  label group = \"G\"  label stt "
          "= \"1\" }\nrule c { require rate >= 50% by 2022 }\n");
    }
    error = "no such file";
    return std::nullopt;
  };
  LoadedRuleSet loaded = load_rule_set({"main.rules"}, options);
  ASSERT_TRUE(loaded.rule_set.has_value());
  std::vector<Code> codes;
  std::string messages;
  for (const Diagnostic& d : loaded.program.diagnostics.all()) {
    codes.push_back(d.code);
    messages += render(d, loaded.program.sources);
  }
  EXPECT_EQ(codes, (std::vector<Code>{Code::duplicate_row_number, Code::missing_group}))
      << messages;
  EXPECT_NE(messages.find("(main.rules:3)"), std::string::npos) << messages;
}

}  // namespace
}  // namespace tiendo::dsl
