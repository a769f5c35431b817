#include "dsl/format.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "dsl/dump.hpp"
#include "dsl/parse.hpp"

namespace tiendo::dsl {
namespace {

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Parsed {
  SourceSet sources;
  ast::File file;
  Diagnostics diagnostics;
};

// Parses `text` as one file; includes are not followed.
Parsed parse_text(const std::string& text) {
  Parsed parsed;
  const std::uint32_t index = parsed.sources.add("format.rules", text);
  parsed.file = parse(parsed.sources, index, parsed.diagnostics);
  return parsed;
}

std::string errors_of(const Parsed& parsed) {
  std::string out;
  for (const Diagnostic& d : parsed.diagnostics.all()) out += render(d, parsed.sources);
  return out;
}

std::string format_text(const std::string& text) {
  const Parsed parsed = parse_text(text);
  EXPECT_FALSE(parsed.diagnostics.has_errors()) << errors_of(parsed);
  return format(parsed.sources, parsed.file);
}

// The comments of a text as the language defines them, found independently of the
// formatter: `#` to the end of the line outside string literals, trailing blanks trimmed.
std::vector<std::string> comments_of(std::string_view text) {
  std::vector<std::string> comments;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '"') {
      ++i;
      while (i < text.size() && text[i] != '"' && text[i] != '\n') {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        ++i;
      }
      ++i;
    } else if (text[i] == '#') {
      std::size_t end = std::min(text.find('\n', i), text.size());
      std::string_view comment = text.substr(i, end - i);
      while (!comment.empty() &&
             std::string_view(" \t\r\f\v").find(comment.back()) != std::string_view::npos) {
        comment.remove_suffix(1);
      }
      comments.emplace_back(comment);
      i = end;
    } else {
      ++i;
    }
  }
  std::sort(comments.begin(), comments.end());
  return comments;
}

// Idempotence, structure and comments, and the plain-text shape of the result.
void expect_format_properties(const std::string& label, const std::string& text) {
  SCOPED_TRACE(label);
  const Parsed original = parse_text(text);
  ASSERT_FALSE(original.diagnostics.has_errors()) << errors_of(original) << "\n" << text;
  const std::string formatted = format(original.sources, original.file);

  const Parsed reparsed = parse_text(formatted);
  ASSERT_FALSE(reparsed.diagnostics.has_errors()) << errors_of(reparsed) << "\n--- input\n"
                                                  << text << "\n--- formatted\n"
                                                  << formatted;
  EXPECT_EQ(dump(reparsed.file), dump(original.file)) << "--- input\n"
                                                      << text << "\n--- formatted\n"
                                                      << formatted;
  EXPECT_EQ(format(reparsed.sources, reparsed.file), formatted) << "--- input\n"
                                                                << text << "\n--- formatted\n"
                                                                << formatted;
  EXPECT_EQ(comments_of(formatted), comments_of(text)) << "--- input\n"
                                                       << text << "\n--- formatted\n"
                                                       << formatted;

  if (!formatted.empty()) {
    EXPECT_TRUE(formatted.ends_with('\n')) << formatted;
    EXPECT_FALSE(formatted.ends_with("\n\n")) << formatted;
    EXPECT_FALSE(formatted.starts_with('\n')) << formatted;
  }
  EXPECT_EQ(formatted.find("\n\n\n"), std::string::npos) << formatted;
  std::size_t start = 0;
  while (start < formatted.size()) {
    const std::size_t end = formatted.find('\n', start);
    const std::string_view line(formatted.data() + start, end - start);
    if (!line.empty()) {
      EXPECT_EQ(std::string_view(" \t\r").find(line.back()), std::string_view::npos)
          << "trailing blank in: " << line;
    }
    start = end + 1;
  }
}

// ---------------------------------------------------------------------------------------
// Exact layouts.

struct Case {
  const char* name;
  std::string input;
  std::string expected;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class FormatLayout : public ::testing::TestWithParam<Case> {};

TEST_P(FormatLayout, Exact) {
  const Case& c = GetParam();
  EXPECT_EQ(format_text(c.input), c.expected) << "--- input\n" << c.input;
  expect_format_properties(c.name, c.input);
  expect_format_properties(std::string(c.name) + " (expected)", c.expected);
}

const Case kCases[] = {
    {"empty_file", "", ""},
    {"only_blank", "  \n\n\t\n", ""},
    {"one_line_block_expanded", "indicator x { title \"a\"  unit percent }",
     "indicator x {\n"
     "  title \"a\"\n"
     "  unit percent\n"
     "}\n"},
    {"declarations_separated_includes_together",
     "include \"a.rules\"\n\n\ninclude \"b.rules\"\nlevels province>district >  commune\n"
     "indicator x{unit count}\n\n\n\nplan p { code \"x\" }   \n\n",
     "include \"a.rules\"\n"
     "include \"b.rules\"\n"
     "\n"
     "levels province > district > commune\n"
     "\n"
     "indicator x {\n"
     "  unit count\n"
     "}\n"
     "\n"
     "plan p {\n"
     "  code \"x\"\n"
     "}\n"},
    {"empty_blocks", "rule r {}\ntest \"t\" {\n\n}",
     "rule r {\n"
     "}\n"
     "\n"
     "test \"t\" {\n"
     "}\n"},
    {"comments_in_every_position",
     "# file header\n"
     "\n"
     "# second group   \n"
     "levels a > b   # trailing on levels\n"
     "# before indicator\n"
     "indicator x {   # on the header\n"
     "    # before title\n"
     "  title \"a # not a comment\"   # after title\n"
     "\n"
     "\n"
     "  # after a blank line\n"
     "unit percent\n"
     "      # before the closing brace\n"
     "}   # after the closing brace\n"
     "# at the end",
     "# file header\n"
     "\n"
     "# second group\n"
     "levels a > b  # trailing on levels\n"
     "\n"
     "# before indicator\n"
     "indicator x {  # on the header\n"
     "  # before title\n"
     "  title \"a # not a comment\"  # after title\n"
     "\n"
     "  # after a blank line\n"
     "  unit percent\n"
     "  # before the closing brace\n"
     "}  # after the closing brace\n"
     "# at the end\n"},
    {"comment_group_separated_from_declaration",
     "# header\n\nrule r { severity info }\n\n# about s\n\nrule s { severity info }\n"
     "\n# trailer\n",
     "# header\n"
     "\n"
     "rule r {\n"
     "  severity info\n"
     "}\n"
     "\n"
     "# about s\n"
     "\n"
     "rule s {\n"
     "  severity info\n"
     "}\n"
     "\n"
     "# trailer\n"},
    {"one_line_block_with_comment", "indicator x { title \"a\" unit percent } # c\n",
     "indicator x {\n"
     "  title \"a\"\n"
     "  unit percent\n"
     "}  # c\n"},
    {"comments_inside_a_clause",
     "rule r {\n"
     "  require a >=   # why\n"
     "    # standalone inside\n"
     "    50%   # second\n"
     "  notify c\n"
     "}\n",
     "rule r {\n"
     "  require a >= 50%  # why\n"
     "  # standalone inside\n"
     "  # second\n"
     "  notify c\n"
     "}\n"},
    {"comments_in_the_header",
     "indicator # c1\n x # c2\n# c3\n{ unit count }\ntest \"t\"\n{ # c4\n}\n",
     "indicator x {  # c1\n"
     "  # c2\n"
     "  # c3\n"
     "  unit count\n"
     "}\n"
     "\n"
     "test \"t\" {  # c4\n"
     "}\n"},
    {"comment_in_empty_block", "rule r {\n\n  # nothing yet\n}\n",
     "rule r {\n"
     "  # nothing yet\n"
     "}\n"},
    {"comments_between_includes", "include \"a\" # a\n# b\ninclude \"b\"\n\n# c\ninclude \"c\"\n",
     "include \"a\"  # a\n"
     "# b\n"
     "include \"b\"\n"
     "\n"
     "# c\n"
     "include \"c\"\n"},
    {"only_comments", "# one  \n\n\n\n# two\n# three", "# one\n\n# two\n# three\n"},
    {"byte_order_mark", "\xEF\xBB\xBF# c\nlevels a\n", "# c\nlevels a\n"},
    {"comments_without_space", "indicator x {# a\n  unit percent# b\n  title \"x\"#c\n}#d\n",
     "indicator x {  # a\n"
     "  unit percent  # b\n"
     "  title \"x\"  #c\n"
     "}  #d\n"},
    {"several_declarations_on_a_line",
     "include \"a\" include \"b\" # b\nlevels a >\n# inside levels\n b rule r { colour red } # c\n",
     "include \"a\"\n"
     "include \"b\"  # b\n"
     "\n"
     "levels a > b\n"
     "\n"
     "# inside levels\n"
     "rule r {\n"
     "  colour red\n"
     "}  # c\n"},
    {"comment_inside_last_levels", "levels a >\n  # c\n  b\n", "levels a > b\n# c\n"},
    {"crlf", "indicator x {\r\n  unit count  # c\r\n\r\n  # d\r\n}\r\n",
     "indicator x {\n"
     "  unit count  # c\n"
     "\n"
     "  # d\n"
     "}\n"},
    {"expressions",
     "rule r {\n"
     "  require -(a+b)*f(x,y>=2)/3.5-2w<ratio()by 2022\n"
     "  require x   between 80%and 100% from 2023-01-01 for\n each district\n"
     "  require x \xE2\x89\xA5 5 by Q3/2022\n"
     "  require y \xE2\x89\xA4 5\n"
     "  require - - x != -(-1)\n"
     "  require ((a)) == (b - (c * d)) / e - -f\n"
     "  require share(commune, community_team_count >= 1) >= 100% by Q3/2022\n"
     "  require change(x, 30d) > 0 from 31/12/2022\n"
     "  require sum(a, district) + avg(b, district) * count(c, commune) > 1\n"
     "}\n",
     "rule r {\n"
     "  require -(a + b) * f(x, y >= 2) / 3.5 - 2w < ratio() by 2022\n"
     "  require x between 80% and 100% from 2023-01-01 for each district\n"
     "  require x >= 5 by Q3/2022\n"
     "  require y <= 5\n"
     "  require --x != -(-1)\n"
     "  require ((a)) == (b - (c * d)) / e - -f\n"
     "  require share(commune, community_team_count >= 1) >= 100% by Q3/2022\n"
     "  require change(x, 30d) > 0 from 31/12/2022\n"
     "  require sum(a, district) + avg(b, district) * count(c, commune) > 1\n"
     "}\n"},
    {"multi_word_keywords",
     "indicator i { stale\n after 120d }\n"
     "channel c { secret   env \"X\" format alertmanager send_resolved false }\n"
     "rule r { warn  within 60d repeat every 7d for 2d label team=\"ops\" "
     "notify a,b,  c severity critical }\n"
     "task t { part_of KH177 after a, b due 2022-12-31 duration 90d }\n"
     "plan p { issued 05/8/2022 implements NQ05 }\n",
     "indicator i {\n"
     "  stale after 120d\n"
     "}\n"
     "\n"
     "channel c {\n"
     "  secret env \"X\"\n"
     "  format alertmanager\n"
     "  send_resolved false\n"
     "}\n"
     "\n"
     "rule r {\n"
     "  warn within 60d\n"
     "  repeat every 7d\n"
     "  for 2d\n"
     "  label team = \"ops\"\n"
     "  notify a, b, c\n"
     "  severity critical\n"
     "}\n"
     "\n"
     "task t {\n"
     "  part_of KH177\n"
     "  after a, b\n"
     "  due 2022-12-31\n"
     "  duration 90d\n"
     "}\n"
     "\n"
     "plan p {\n"
     "  issued 05/8/2022\n"
     "  implements NQ05\n"
     "}\n"},
    {"range",
     "indicator g { unit percent range -100%..500% }\n"
     "indicator c{range 0 ..  # why\n 1000000 unit count}\n"
     "indicator n { range -2.5\n..\n0.75 }\n",
     "indicator g {\n"
     "  unit percent\n"
     "  range -100% .. 500%\n"
     "}\n"
     "\n"
     "indicator c {\n"
     "  range 0 .. 1000000  # why\n"
     "  unit count\n"
     "}\n"
     "\n"
     "indicator n {\n"
     "  range -2.5 .. 0.75\n"
     "}\n"},
    {"strings_escapes_and_vietnamese",
     "plan p { title \"Nghị quyết \\\"05\\\" \\\\ dòng\\nhai\"  code \"05-NQ/TU\",\"x\" "
     "owner \"Sở Thông tin và Truyền thông\" }\ninclude \"thư mục/tệp \\\"1\\\".rules\"",
     "plan p {\n"
     "  title \"Nghị quyết \\\"05\\\" \\\\ dòng\\nhai\"\n"
     "  code \"05-NQ/TU\", \"x\"\n"
     "  owner \"Sở Thông tin và Truyền thông\"\n"
     "}\n"
     "\n"
     "include \"thư mục/tệp \\\"1\\\".rules\"\n"},
    {"unknown_clauses",
     "indicator x {\n  colour    red  green   \n  priority\n  titel \"a\" # kept in the text\n"
     "  notes = 5 }\n",
     "indicator x {\n"
     "  colour red  green\n"
     "  priority\n"
     "  titel \"a\"  # kept in the text\n"
     "  notes = 5\n"
     "}\n"},
    {"test_block",
     "test \"Q3/2022 report\" { unit dong_nai province \"Đồng Nai\" unit bh district "
     "\"Biên Hòa\"in dong_nai at 2022-09-30 observe online_dossier_rate 2022-Q3 = 9.23% "
     "observe bh x 2022-Q3=-5 status kho in_progress 2022-07-01 40% status kho2 done "
     "1/7/2022 status k3 blocked Q3/2022 50 expect r at_risk expect bh r met\n"
     "  bogus   line here  \n"
     "  # before the end\n"
     "}\n",
     "test \"Q3/2022 report\" {\n"
     "  unit dong_nai province \"Đồng Nai\"\n"
     "  unit bh district \"Biên Hòa\" in dong_nai\n"
     "  at 2022-09-30\n"
     "  observe online_dossier_rate 2022-Q3 = 9.23%\n"
     "  observe bh x 2022-Q3 = -5\n"
     "  status kho in_progress 2022-07-01 40%\n"
     "  status kho2 done 1/7/2022\n"
     "  status k3 blocked Q3/2022 50\n"
     "  expect r at_risk\n"
     "  expect bh r met\n"
     "  bogus line here\n"
     "  # before the end\n"
     "}\n"},
    // Issue #12: a date keeps its author's spelling; only the blanks of a date in words
    // are made regular.
    {"dates_keep_their_spelling",
     "plan p { issued Quý  IV / 2022 }\ntask t { due tháng 12/2022 }\n"
     "rule r { require x >= 50% by quý 4/2022 }\n"
     "rule s { require x >= 50% from Tha\u0301ng\t9 /2022 }\n"
     "test \"t\" { at Quý III/2022 observe x QuýIII/2022 = 5% status t done 31/12/2022 }\n",
     "plan p {\n"
     "  issued Quý IV/2022\n"
     "}\n"
     "\n"
     "task t {\n"
     "  due tháng 12/2022\n"
     "}\n"
     "\n"
     "rule r {\n"
     "  require x >= 50% by quý 4/2022\n"
     "}\n"
     "\n"
     "rule s {\n"
     "  require x >= 50% from Tha\u0301ng 9/2022\n"
     "}\n"
     "\n"
     "test \"t\" {\n"
     "  at Quý III/2022\n"
     "  observe x QuýIII/2022 = 5%\n"
     "  status t done 31/12/2022\n"
     "}\n"},
    {"numbers_keep_their_spelling_for_the_checker_to_refuse", "rule r { require x >= 99,5% }\n",
     "rule r {\n"
     "  require x >= 99,5%\n"
     "}\n"},
};

INSTANTIATE_TEST_SUITE_P(Format, FormatLayout, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& param_info) {
                           return std::string(param_info.param.name);
                         });

TEST(Format, QuoteEscapes) {
  EXPECT_EQ(quote("a\"b\\c\nd é"), "\"a\\\"b\\\\c\\nd é\"");
  EXPECT_EQ(quote(""), "\"\"");
}

TEST(Format, ExpressionHelpers) {
  const Parsed parsed = parse_text("rule r { require (a+-b)*2%between 1 and f() }");
  ASSERT_FALSE(parsed.diagnostics.has_errors()) << errors_of(parsed);
  const auto& block = boost::get<ast::Block>(parsed.file.declarations.at(0).get());
  const auto& require = boost::get<ast::Require>(block.clauses.at(0).value.get());
  EXPECT_EQ(format_condition(require.condition), "(a + -b) * 2% between 1 and f()");
  EXPECT_EQ(format_expr(require.condition.lhs), "(a + -b) * 2%");
}

// ---------------------------------------------------------------------------------------
// Properties over the repository's rule files and the language contract.

TEST(Format, PropertiesOnRepositoryRules) {
  const std::filesystem::path root = std::filesystem::path(TIENDO_SOURCE_DIR) / "rules";
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    const auto extension = entry.path().extension();
    if (entry.is_regular_file() && (extension == ".rules" || extension == ".tests")) {
      files.push_back(entry.path());
    }
  }
  ASSERT_FALSE(files.empty());
  for (const auto& path : files) expect_format_properties(path.string(), read(path));
}

TEST(Format, PropertiesOnLanguageContractBlocks) {
  const std::string md = read(std::filesystem::path(TIENDO_SOURCE_DIR) / "tests/data/LANGUAGE.md");
  std::size_t blocks = 0;
  std::size_t at = 0;
  while ((at = md.find("```", at)) != std::string::npos) {
    const std::size_t body = md.find('\n', at);
    ASSERT_NE(body, std::string::npos);
    const std::size_t close = md.find("\n```", body);
    ASSERT_NE(close, std::string::npos);
    const std::string text = md.substr(body + 1, close + 1 - (body + 1));
    at = close + 4;
    expect_format_properties("LANGUAGE.md block " + std::to_string(++blocks), text);
  }
  EXPECT_EQ(blocks, 3u);
}

TEST(Format, LanguageContractTestBlockLayout) {
  EXPECT_EQ(format_text("test \"Q3/2022 report\" {\n"
                        "  unit dong_nai province \"Đồng Nai\"\n"
                        "  at 2022-09-30\n"
                        "  observe online_dossier_rate 2022-Q3 = 9.23%\n"
                        "  status kho_du_lieu in_progress 2022-07-01\n"
                        "  expect dong_nai smartphone_2022 at_risk\n"
                        "}\n"),
            "test \"Q3/2022 report\" {\n"
            "  unit dong_nai province \"Đồng Nai\"\n"
            "  at 2022-09-30\n"
            "  observe online_dossier_rate 2022-Q3 = 9.23%\n"
            "  status kho_du_lieu in_progress 2022-07-01\n"
            "  expect dong_nai smartphone_2022 at_risk\n"
            "}\n");
}

// An amendment's clauses sit one level deeper, its comments stay with their lines, and
// its closing brace lines up with `amend`.
TEST(Format, AmendBlockLayout) {
  EXPECT_EQ(format_text("rule r {\n"
                        "require x >= 50% by Quý IV/2022\n"
                        "   basis KH177\n"
                        "amend from 15/10/2022 {   # a later decision\n"
                        "require x >= 30% by 31/12/2022\n"
                        "\n"
                        "      # its document\n"
                        "basis QD2345 }\n"
                        "}\n"),
            "rule r {\n"
            "  require x >= 50% by Quý IV/2022\n"
            "  basis KH177\n"
            "  amend from 15/10/2022 {  # a later decision\n"
            "    require x >= 30% by 31/12/2022\n"
            "\n"
            "    # its document\n"
            "    basis QD2345\n"
            "  }\n"
            "}\n");
}

// ---------------------------------------------------------------------------------------
// Properties over generated rule sets: every construct, random layout and comments.

class Generator {
 public:
  explicit Generator(unsigned seed) : random_(seed) {}

  std::string file() {
    out_.clear();
    if (chance(50)) out_ += "# " + std::string(pick_of(kCommentWords)) + "\n\n";
    const int declarations = between(1, 9);
    for (int i = 0; i < declarations; ++i) {
      if (i > 0) declaration_gap();
      declaration();
    }
    switch (between(0, 4)) {
      case 0:
        break;
      case 1:
        out_ += "\n";
        break;
      case 2:
        out_ += "\n\n" + comment() + "\n";
        break;
      case 3:
        out_ += "  " + comment();
        break;
      default:
        out_ += "\n" + comment() + "\n\n";
        break;
    }
    return out_;
  }

 private:
  static constexpr std::string_view kNames[] = {"x",    "rate_a",          "B2",       "_tmp",
                                                "ind9", "smartphone_rate", "district", "Q4x"};
  static constexpr std::string_view kFunctions[] = {"share", "ratio", "sum",    "avg",  "min",
                                                    "max",   "count", "change", "done", "latest"};
  static constexpr std::string_view kDates[] = {"2022-12-31", "31/12/2022", "5/8/2022", "2022-Q3",
                                                "Q3/2022",    "2022-09",    "2022"};
  static constexpr std::string_view kDurations[] = {"30d", "2w", "3m", "1y", "120d"};
  static constexpr std::string_view kComparisons[] = {
      ">=", "<=", ">", "<", "==", "!=", "\xE2\x89\xA5", "\xE2\x89\xA4"};
  static constexpr std::string_view kStringParts[] = {"Tỷ lệ hồ sơ",
                                                      "Đồng Nai",
                                                      "a \\\"quoted\\\" word",
                                                      "back\\\\slash",
                                                      "line\\nbreak",
                                                      "# not a comment",
                                                      "{braces}",
                                                      "",
                                                      "50%",
                                                      "Sở Thông tin và Truyền thông"};
  static constexpr std::string_view kCommentWords[] = {"note",
                                                       "",
                                                       "Ghi chú: tỷ lệ 50%",
                                                       "has \"quotes\" and # hashes",
                                                       "braces { }",
                                                       "trailing spaces   ",
                                                       "## double",
                                                       "see } here"};
  static constexpr std::string_view kStringKeywords[] = {
      "title", "owner", "code", "message", "email", "webhook", "alertmanager", "secret env"};
  static constexpr std::string_view kNameKeywords[] = {"unit",     "implements", "part_of",
                                                       "after",    "needs",      "notify",
                                                       "severity", "format",     "send_resolved"};
  static constexpr std::string_view kDurationKeywords[] = {"stale after", "warn within",
                                                           "repeat every", "duration", "for"};
  static constexpr std::string_view kUnknownKeywords[] = {"colour", "priority", "titel", "notes",
                                                          "x_extra"};
  static constexpr std::string_view kUnknownTexts[] = {
      "", "red", "green 5", "= 3", "\"str\"", "x, y", "a # note", "  spaced  out  "};
  static constexpr std::string_view kBlockKinds[] = {"indicator", "plan", "task", "channel",
                                                     "rule"};

  int between(int low, int high) { return std::uniform_int_distribution<int>(low, high)(random_); }
  bool chance(int percent) { return between(0, 99) < percent; }
  template <std::size_t N>
  std::string_view pick_of(const std::string_view (&options)[N]) {
    return options[static_cast<std::size_t>(between(0, static_cast<int>(N) - 1))];
  }

  std::string comment() {
    std::string text = "#";
    if (chance(80)) text += ' ';
    text += pick_of(kCommentWords);
    return text;
  }

  std::string indent() { return std::string(static_cast<std::size_t>(between(0, 4)), ' '); }

  static bool is_punctuation(char c) {
    return std::string_view("(),=+-*/<>{}\"").find(c) != std::string_view::npos;
  }

  // Whitespace between two tokens: a space, nothing, line breaks, comments.
  void gap(std::string_view next) {
    const bool may_touch =
        !out_.empty() && (is_punctuation(out_.back()) || is_punctuation(next[0]));
    const int roll = between(0, 99);
    if (roll < 45) {
      out_ += ' ';
    } else if (roll < 55) {
      out_ += may_touch ? "" : " ";
    } else if (roll < 65) {
      out_ += "\n" + indent();
    } else if (roll < 70) {
      out_ += "  \t ";
    } else if (roll < 82) {
      out_ +=
          std::string(static_cast<std::size_t>(between(0, 3)), ' ') + comment() + "\n" + indent();
    } else if (roll < 90) {
      out_ += "\n" + std::string(chance(50) ? "\n" : "") + indent() + comment() + "\n" + indent();
    } else if (roll < 95) {
      out_ += "\r\n  ";
    } else {
      out_ += "\n\n";
    }
  }

  void token(std::string_view text) {
    if (!out_.empty()) gap(text);
    out_ += text;
  }

  // A multi-word keyword may have any layout between its words.
  void words(std::string_view text) {
    std::size_t start = 0;
    while (start <= text.size()) {
      const std::size_t space = std::min(text.find(' ', start), text.size());
      token(text.substr(start, space - start));
      start = space + 1;
    }
  }

  void declaration_gap() {
    switch (between(0, 5)) {
      case 0:
        out_ += " ";
        break;
      case 1:
        out_ += "\n";
        break;
      case 2:
        out_ += "\n\n\n";
        break;
      case 3:
        out_ += "\n" + comment() + "\n";
        break;
      case 4:
        out_ += "  " + comment() + "\n\n" + comment() + "\n\n";
        break;
      default:
        out_ += "\n\n" + comment() + "\n" + comment() + "\n";
        break;
    }
  }

  // Between clauses or test lines: mostly line breaks, sometimes comments or nothing.
  void line_gap() {
    switch (between(0, 7)) {
      case 0:
        out_ += " ";
        break;
      case 1:
        out_ += "  " + comment() + "\n" + indent();
        break;
      case 2:
        out_ += "\n\n" + indent() + comment() + "\n" + indent();
        break;
      case 3:
        out_ += "\n" + indent() + comment() + "\n" + indent() + comment() + "\n  ";
        break;
      default:
        out_ += "\n" + indent();
        break;
    }
  }

  std::string string_literal() {
    std::string text = "\"";
    const int parts = between(0, 3);
    for (int i = 0; i < parts; ++i) {
      if (i > 0) text += ' ';
      text += pick_of(kStringParts);
    }
    return text + "\"";
  }

  std::string number() {
    std::string text = std::to_string(between(0, 200));
    if (chance(30)) text += "." + std::to_string(between(0, 99));
    if (chance(40)) text += '%';
    return text;
  }

  void operand(int depth) {
    const int roll = depth >= 6 ? 0 : between(0, 9 + depth * 3);
    if (roll >= 4 && roll < 10) {
      switch (roll) {
        case 4:
        case 5:
          token("-");
          operand(depth + 1);
          return;
        case 6:
        case 7: {
          token(pick_of(kFunctions));
          token("(");
          const int arguments = between(0, 3);
          for (int i = 0; i < arguments; ++i) {
            if (i > 0) token(",");
            condition(depth + 1, chance(30));
          }
          token(")");
          return;
        }
        default:
          token("(");
          expr(depth + 1);
          token(")");
          return;
      }
    }
    switch (between(0, 3)) {
      case 0:
        token(number());
        break;
      case 1:
        token(pick_of(kDurations));
        break;
      default:
        token(pick_of(kNames));
        break;
    }
  }

  void term(int depth) {
    operand(depth);
    const int more = between(0, 2) - (depth > 2 ? 1 : 0);
    for (int i = 0; i < more; ++i) {
      token(chance(50) ? "*" : "/");
      operand(depth);
    }
  }

  void expr(int depth) {
    term(depth);
    const int more = between(0, 2) - (depth > 2 ? 1 : 0);
    for (int i = 0; i < more; ++i) {
      token(chance(50) ? "+" : "-");
      term(depth);
    }
  }

  void condition(int depth, bool comparison) {
    expr(depth);
    if (!comparison) return;
    if (chance(20)) {
      token("between");
      expr(depth);
      token("and");
      expr(depth);
    } else {
      token(pick_of(kComparisons));
      expr(depth);
    }
  }

  void clause() {
    switch (between(0, 8)) {
      case 0: {
        words(pick_of(kStringKeywords));
        const int count = between(1, 3);
        for (int i = 0; i < count; ++i) {
          if (i > 0) token(",");
          token(string_literal());
        }
        break;
      }
      case 1: {
        token(pick_of(kNameKeywords));
        const int count = between(1, 3);
        for (int i = 0; i < count; ++i) {
          if (i > 0) token(",");
          token(pick_of(kNames));
        }
        break;
      }
      case 2:
        token(chance(50) ? "issued" : "due");
        token(pick_of(kDates));
        break;
      case 3:
        words(pick_of(kDurationKeywords));
        token(pick_of(kDurations));
        break;
      case 4:
        token("label");
        token(pick_of(kNames));
        token("=");
        token(string_literal());
        break;
      case 5: {
        // The text of an unknown clause runs to the end of its line.
        token(pick_of(kUnknownKeywords));
        const std::string_view text = pick_of(kUnknownTexts);
        if (!text.empty()) out_ += " " + std::string(text);
        out_ += "\n";
        break;
      }
      case 6:
        token("range");
        token((chance(30) ? "-" : "") + number());
        token("..");
        token((chance(30) ? "-" : "") + number());
        break;
      default:
        token("require");
        condition(0, true);
        if (chance(60)) {
          token(chance(50) ? "by" : "from");
          token(pick_of(kDates));
        }
        if (chance(30)) {
          words("for each");
          token(pick_of(kNames));
        }
        break;
    }
  }

  // Names avoid the test keywords, which would end a list of names.
  void test_item(bool& last_was_short_expect) {
    const int roll = between(0, 6);
    if (roll == 6 && last_was_short_expect) return;  // an identifier would extend it
    last_was_short_expect = false;
    switch (roll) {
      case 0:
        token("unit");
        token(pick_of(kNames));
        token(pick_of(kNames));
        token(string_literal());
        if (chance(40)) {
          token("in");
          token(pick_of(kNames));
        }
        break;
      case 1:
        token("at");
        token(pick_of(kDates));
        break;
      case 2: {
        token("observe");
        const bool two = chance(50);
        token(pick_of(kNames));
        if (two) token(pick_of(kNames));
        token(pick_of(kDates));
        token("=");
        token((chance(30) ? "-" : "") + number());
        break;
      }
      case 3:
        token("status");
        token(pick_of(kNames));
        token(pick_of(kNames));
        token(pick_of(kDates));
        if (chance(50)) token(std::to_string(between(0, 100)) + (chance(70) ? "%" : ""));
        break;
      case 4:
      case 5: {
        // An expect line's optional third name must stay on its line.
        const int count = between(2, 3);
        std::string line = "expect";
        for (int i = 0; i < count; ++i) line += " " + std::string(pick_of(kNames));
        token(line);
        last_was_short_expect = count == 2;
        break;
      }
      default: {
        token(chance(50) ? "bogus" : "expct");
        const std::string_view text = pick_of(kUnknownTexts);
        if (!text.empty()) out_ += " " + std::string(text);
        out_ += "\n";
        break;
      }
    }
  }

  void declaration() {
    switch (between(0, 9)) {
      case 0:
        token("include");
        token(string_literal());
        break;
      case 1: {
        token("levels");
        const int count = between(1, 4);
        for (int i = 0; i < count; ++i) {
          if (i > 0) token(">");
          token(pick_of(kNames));
        }
        break;
      }
      case 2:
      case 3: {
        token("test");
        token(string_literal());
        token("{");
        const int items = between(0, 8);
        bool short_expect = false;
        for (int i = 0; i < items; ++i) {
          line_gap();
          test_item(short_expect);
        }
        line_gap();
        token("}");
        break;
      }
      default: {
        token(pick_of(kBlockKinds));
        token(pick_of(kNames));
        token("{");
        const int clauses = between(0, 8);
        for (int i = 0; i < clauses; ++i) {
          line_gap();
          clause();
        }
        if (chance(70)) line_gap();
        token("}");
        break;
      }
    }
  }

  std::mt19937 random_;
  std::string out_;
};

TEST(Format, PropertiesOnGeneratedRuleSets) {
  for (unsigned seed = 1; seed <= 50; ++seed) {
    Generator generator(seed);
    // Several files per seed: different sizes and mixes of constructs.
    for (int round = 0; round < 4; ++round) {
      expect_format_properties("seed " + std::to_string(seed) + " round " + std::to_string(round),
                               generator.file());
      if (HasFatalFailure()) return;
    }
  }
}

}  // namespace
}  // namespace tiendo::dsl
