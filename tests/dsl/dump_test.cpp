#include "dsl/dump.hpp"

#include <gtest/gtest.h>

#include <string>

#include "dsl/parse.hpp"

namespace tiendo::dsl {
namespace {

// Parses `text` as one file (includes are not followed) and dumps it.
std::string dump_text(const std::string& text) {
  SourceSet sources;
  const std::uint32_t index = sources.add("dump.rules", text);
  Diagnostics diagnostics;
  const ast::File file = parse(sources, index, diagnostics);
  for (const Diagnostic& d : diagnostics.all()) ADD_FAILURE() << render(d, sources);
  return dump(file);
}

TEST(Dump, IncludeAndLevels) {
  EXPECT_EQ(dump_text("include \"a \\\"b\\\".rules\"\nlevels province > district > commune\n"),
            "(include \"a \\\"b\\\".rules\")\n"
            "(levels province district commune)\n");
}

TEST(Dump, RuleWithRequire) {
  EXPECT_EQ(dump_text("rule online_dossier_2022 {\n"
                      "  title \"Tỷ lệ hồ sơ\"\n"
                      "  require online_dossier_rate >= 50% by 2022-12-31\n"
                      "}\n"),
            "(rule online_dossier_2022 (title (strings \"Tỷ lệ hồ sơ\")) (require (cond (expr "
            "(term (name online_dossier_rate))) (>= (expr (term (num 50 %))))) (by (date "
            "2022-12-31))))\n");
}

TEST(Dump, EveryClauseValue) {
  EXPECT_EQ(dump_text("channel c {\n"
                      "  email \"a@b\", \"c\\nd\"\n"
                      "  secret env \"X\"\n"
                      "  notify a, b\n"
                      "  due 5/8/2022\n"
                      "  stale after 120d\n"
                      "  label team = \"ops\\\\x\"\n"
                      "  colour  red  # kept with the unknown clause\n"
                      "  require x between 80% and 100% from 2023 for each district\n"
                      "}\n"),
            "(channel c (email (strings \"a@b\" \"c\\nd\")) (\"secret env\" (strings \"X\")) "
            "(notify (names a b)) (due (date 5/8/2022)) (\"stale after\" (duration 120d)) "
            "(label (label team \"ops\\\\x\")) (colour (unknown \"red\")) (require (cond (expr "
            "(term (name x))) (between (expr (term (num 80 %))) "
            "(expr (term (num 100 %))))) (from (date 2023)) (for_each district)))\n");
}

TEST(Dump, Range) {
  EXPECT_EQ(dump_text("indicator g { unit percent range -100%..500% }\n"
                      "indicator n { range 0 .. 2.5 }\n"),
            "(indicator g (unit (names percent)) (range (range (num -100 %) (num 500 %))))\n"
            "(indicator n (range (range (num 0) (num 2.5))))\n");
}

TEST(Dump, Expressions) {
  EXPECT_EQ(dump_text("rule r { require -(a + b) * f(x, y >= 2) / 3.5 - 2w < ratio() }"),
            "(rule r (require (cond (expr (term (unary - (paren (expr (term (name a)) (+ (term "
            "(name b)))))) (* (call f (cond (expr (term (name x)))) (cond (expr (term (name y))) "
            "(>= (expr (term (num 2))))))) (/ (num 3.5))) (- (term (dur 2w)))) (< (expr (term "
            "(call ratio)))))))\n");
}

TEST(Dump, TestBlock) {
  EXPECT_EQ(dump_text("test \"Q3\" {\n"
                      "  unit bh district \"Biên Hòa\" in dn\n"
                      "  at 2022-09-30\n"
                      "  observe bh x 2022-Q3 = -9.23%\n"
                      "  status t in_progress 2022-07-01 40%\n"
                      "  expect bh r at_risk\n"
                      "  frobnicate  it \n"
                      "}\n"),
            "(test \"Q3\" (unit bh district \"Biên Hòa\" (in dn)) (at (date 2022-09-30)) "
            "(observe (names bh x) (date 2022-Q3) (num -9.23 %)) (status t in_progress (date "
            "2022-07-01) (num 40 %)) (expect bh r at_risk) (unknown frobnicate \"it\"))\n");
}

TEST(Dump, PositionsDoNotMatter) {
  const std::string compact =
      "levels a>b\nrule r{require x>=50%by 2022 for each b severity critical}"
      "test \"t\"{at 2022 expect r met}";
  const std::string spread =
      "# a comment\n\nlevels a\n  > b\n\nrule r {\n  require x\n    >= 50%   # why\n"
      "    by 2022\n    for\n each b\n  severity\tcritical\n}\n\n"
      "test \"t\" {\n  at 2022\n  expect r\n    met\n}\n";
  EXPECT_EQ(dump_text(compact), dump_text(spread));
  EXPECT_NE(dump_text(compact), dump_text("levels a > c\n"));
}

TEST(Dump, ParenthesesAreShown) {
  EXPECT_NE(dump_text("rule r { require (x) >= 1 }"), dump_text("rule r { require x >= 1 }"));
  EXPECT_NE(dump_text("rule r { require x >= 1% }"), dump_text("rule r { require x >= 1 }"));
}

}  // namespace
}  // namespace tiendo::dsl
