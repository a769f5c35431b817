#include "dsl/parse.hpp"

#include <gtest/gtest.h>

#include <array>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "dsl/ast_walk.hpp"
#include "dsl/dump.hpp"

namespace tiendo::dsl {
namespace {

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Parse, LanguageContractExample) {
  const std::string md = read(std::string(TIENDO_SOURCE_DIR) + "/tests/data/LANGUAGE.md");
  const auto start = md.find("```\nlevels");
  ASSERT_NE(start, std::string::npos);
  const auto end = md.find("```", start + 3);
  Program program = load_text("contract.rules", md.substr(start + 4, end - start - 4));
  for (const auto& d : program.diagnostics.all()) ADD_FAILURE() << render(d, program.sources);
  ASSERT_EQ(program.files.size(), 1u);
  EXPECT_EQ(program.files[0].declarations.size(), 24u);
}

// ---------------------------------------------------------------------------------------
// The parse cache (the language server's): after any edit, what parse() gives.

std::vector<std::array<std::uint32_t, 3>> node_positions(ast::File file) {
  std::vector<std::array<std::uint32_t, 3>> out;
  for_each_node(file, [&](ast::Node& n) { out.push_back({n.file, n.begin, n.end}); });
  return out;
}

std::string rendered(const Diagnostics& diagnostics, const SourceSet& sources) {
  std::string out;
  for (const Diagnostic& d : diagnostics.all()) out += render(d, sources);
  return out;
}

std::string repository_file(const std::string& name) {
  std::ifstream in(std::string(TIENDO_SOURCE_DIR) + "/rules/" + name, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Random edits of the example's rules and tests, some inside a title (the text stays
// valid, the usual keystroke), some anywhere (braces, quotes, comments, new declarations,
// Vietnamese letters, deletions): after each, the cache's tree — its dump and every node's
// position — and diagnostics are parse()'s. The text goes back to the file every 25 edits.
TEST(ParseCache, GivesWhatParseGivesAfterEveryEdit) {
  for (const std::string name : {"dong-nai-2022.rules", "dong-nai-2022.tests"}) {
    SCOPED_TRACE(name);
    const std::string original = repository_file(name);
    ASSERT_GT(original.size(), 1000u);
    std::mt19937 random(20221231);
    const std::vector<std::string> inserts = {
        "x",      "1",   " ",   "\n",    "{",
        "}",      "\"",  "#",   "rule ", "ệ",
        "\\",     ">= ", "50%", "\t",    "\nrule r {\n  title \"t\"\n  require a >= 1\n}\n",
        "levels "};
    ParseCache cache;
    std::string text = original;
    std::size_t reused = 0;
    for (int edit = 0; edit < 400; ++edit) {
      if (edit % 25 == 0) text = original;
      const auto at_char = [&](std::size_t pos) {
        while (pos > 0 && pos < text.size() &&
               (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) {
          --pos;
        }
        return pos;
      };
      if (edit % 2 == 0) {
        // Inside a title: a letter more.
        const std::size_t title = text.find("title \"", at_char(random() % text.size()));
        if (title != std::string::npos) text.insert(title + 7, "a");
      } else if (random() % 3 == 0 && text.size() > 10) {
        const std::size_t pos = at_char(random() % (text.size() - 5));
        std::size_t length = 1 + random() % 4;
        while (pos + length < text.size() &&
               (static_cast<unsigned char>(text[pos + length]) & 0xC0) == 0x80) {
          ++length;
        }
        text.erase(pos, length);
      } else {
        text.insert(at_char(random() % text.size()), inserts[random() % inserts.size()]);
      }
      SourceSet whole_sources;
      whole_sources.add(name, text);
      Diagnostics whole_diagnostics;
      const ast::File whole = parse(whole_sources, 0, whole_diagnostics);
      SourceSet cached_sources;
      cached_sources.add(name, text);
      Diagnostics cached_diagnostics;
      ast::File cached = cache.parse(cached_sources, 0, cached_diagnostics);
      reused += cache.reused();
      ASSERT_EQ(dump(cached), dump(whole)) << "edit " << edit;
      ASSERT_EQ(node_positions(cached), node_positions(whole)) << "edit " << edit;
      ASSERT_EQ(rendered(cached_diagnostics, cached_sources),
                rendered(whole_diagnostics, whole_sources))
          << "edit " << edit;
      // As the language server does once an edit makes the tree stale (now and then the
      // tree parse() made of the same text, which serves as well).
      if (edit % 7 == 3) {
        cache.give_back(whole_sources, parse(whole_sources, 0, whole_diagnostics));
      } else {
        cache.give_back(cached_sources, std::move(cached));
      }
    }
    // Most keystrokes were taken from the cache but for the declaration they changed.
    EXPECT_GT(reused, 100u);
  }
}

// A keystroke in one declaration re-parses that declaration only; a file in another
// SourceSet index gets its own index on every node.
TEST(ParseCache, ReparsesOnlyTheDeclarationThatChanged) {
  const std::string text = repository_file("dong-nai-2022.rules");
  ParseCache cache;
  SourceSet first;
  first.add(std::string("a.rules"), text);
  Diagnostics d1;
  ast::File before = cache.parse(first, 0, d1);
  EXPECT_EQ(cache.reused(), 0u);
  const std::size_t declarations = before.declarations.size();
  cache.give_back(first, std::move(before));
  std::string edited = text;
  const std::size_t rule = edited.find("rule online_dossier_2022 {\n  title \"");
  ASSERT_NE(rule, std::string::npos);
  edited.insert(edited.find('"', rule) + 1, "Chỉ tiêu: ");
  SourceSet second;
  second.add("other.rules", "indicator x {\n  title \"X\"\n  unit percent\n}\n");
  second.add(std::string("a.rules"), edited);
  Diagnostics d2;
  const ast::File after = cache.parse(second, 1, d2);
  EXPECT_TRUE(d2.empty());
  EXPECT_EQ(after.declarations.size(), declarations);
  // Every piece but the edited declaration's came from the cache (the file's first
  // piece is its opening comments, before any declaration).
  EXPECT_EQ(cache.reused(), declarations);
  EXPECT_EQ(dump(after), dump(parse(second, 1, d2)));
  for (const auto& position : node_positions(after)) EXPECT_EQ(position[0], 1u);
  // A tree of another text than the one last parsed is not taken.
  SourceSet older;
  older.add(std::string("a.rules"), text);
  Diagnostics d4;
  cache.give_back(older, parse(older, 0, d4));
  Diagnostics d5;
  cache.parse(second, 1, d5);
  EXPECT_EQ(cache.reused(), 0u);
  Diagnostics d3;
  EXPECT_EQ(node_positions(after), node_positions(parse(second, 1, d3)));
}

}  // namespace
}  // namespace tiendo::dsl
