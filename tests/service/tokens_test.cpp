// Bearer tokens: the tokens file (good files, every kind of bad line at its place),
// scopes, authentication against the stored hashes, hashing and new tokens.
#include "service/tokens.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace tiendo::service {
namespace {

const std::string kPath = "/etc/tiendo/tokens";

// SHA-256 of "abc" (FIPS 180-2, appendix B.1).
const std::string kAbcHash =
    "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

std::string line(const std::string& id, const std::string& scope, const std::string& token) {
  return id + " " + scope + " " + token_hash_text(token) + "\n";
}

std::optional<TokenTable> parse_ok(const std::string& text) {
  std::vector<ConfigError> errors;
  auto table = TokenTable::parse(text, kPath, errors);
  EXPECT_TRUE(table.has_value()) << (errors.empty() ? "" : errors.front().render());
  EXPECT_TRUE(errors.empty());
  return table;
}

std::vector<ConfigError> errors_of(const std::string& text) {
  std::vector<ConfigError> errors;
  EXPECT_FALSE(TokenTable::parse(text, kPath, errors).has_value()) << text;
  EXPECT_FALSE(errors.empty());
  return errors;
}

// The one error of `text`, rendered.
std::string error_of(const std::string& text) {
  const auto errors = errors_of(text);
  EXPECT_EQ(errors.size(), 1u);
  return errors.empty() ? std::string() : errors.front().render();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(TokenHash, OfAKnownValue) {
  EXPECT_EQ(token_hash_text("abc"), kAbcHash);
  EXPECT_EQ(token_hash_text(""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(TokenGenerate, HasThePrefixAnd43Base64UrlCharacters) {
  const std::string token = generate_token();
  ASSERT_EQ(token.size(), 4u + 43u) << token;
  EXPECT_TRUE(token.starts_with("tdo_")) << token;
  for (char c : token.substr(4)) {
    EXPECT_TRUE((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_')
        << token;
  }
}

TEST(TokenGenerate, AThousandTokensAreAllDifferent) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(generate_token());
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(TokenScope, NamesRoundTrip) {
  for (Scope s : {Scope::read, Scope::write, Scope::admin}) {
    EXPECT_EQ(parse_scope(to_string(s)), s);
  }
  EXPECT_EQ(parse_scope("read"), Scope::read);
  EXPECT_EQ(parse_scope("write"), Scope::write);
  EXPECT_EQ(parse_scope("admin"), Scope::admin);
  EXPECT_FALSE(parse_scope("Admin").has_value());
  EXPECT_FALSE(parse_scope("root").has_value());
  EXPECT_FALSE(parse_scope("").has_value());
}

TEST(TokenScope, ScopesNest) {
  EXPECT_TRUE(grants(Scope::admin, Scope::admin));
  EXPECT_TRUE(grants(Scope::admin, Scope::write));
  EXPECT_TRUE(grants(Scope::admin, Scope::read));
  EXPECT_FALSE(grants(Scope::write, Scope::admin));
  EXPECT_TRUE(grants(Scope::write, Scope::write));
  EXPECT_TRUE(grants(Scope::write, Scope::read));
  EXPECT_FALSE(grants(Scope::read, Scope::admin));
  EXPECT_FALSE(grants(Scope::read, Scope::write));
  EXPECT_TRUE(grants(Scope::read, Scope::read));
}

TEST(TokenFile, CommentsBlankLinesTabsAndCrlfAreAccepted) {
  const auto table = parse_ok(
      "# tokens for the API\n"
      "\n"
      "   \t \n"
      "  # an indented comment\n"
      "dashboard\tread\t" +
      token_hash_text("tdo_one") + "\n" + "  ingest.bot   write \t " + token_hash_text("tdo_two") +
      "  \r\n" + "Ops_Lead-2 admin " + token_hash_text("tdo_three"));  // no final newline
  ASSERT_TRUE(table.has_value());
  EXPECT_EQ(table->size(), 3u);
  const Token* read = table->authenticate("tdo_one");
  ASSERT_NE(read, nullptr);
  EXPECT_EQ(read->id, "dashboard");
  EXPECT_EQ(read->scope, Scope::read);
  const Token* write = table->authenticate("tdo_two");
  ASSERT_NE(write, nullptr);
  EXPECT_EQ(write->id, "ingest.bot");
  EXPECT_EQ(write->scope, Scope::write);
  const Token* admin = table->authenticate("tdo_three");
  ASSERT_NE(admin, nullptr);
  EXPECT_EQ(admin->id, "Ops_Lead-2");
  EXPECT_EQ(admin->scope, Scope::admin);
}

TEST(TokenFile, TheHashIsStoredAsItsBytes) {
  const auto table = parse_ok("t read " + kAbcHash + "\n");
  ASSERT_TRUE(table.has_value());
  const Token* t = table->authenticate("abc");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->sha256[0], 0xba);
  EXPECT_EQ(t->sha256[31], 0xad);
}

TEST(TokenFile, AnEmptyFileOrOnlyCommentsHoldsNoTokens) {
  for (const char* text : {"", "\n\n", "# no tokens yet\n", "\xEF\xBB\xBF# bom\n"}) {
    const auto table = parse_ok(text);
    ASSERT_TRUE(table.has_value()) << text;
    EXPECT_EQ(table->size(), 0u);
    EXPECT_EQ(table->authenticate("tdo_anything"), nullptr);
  }
}

TEST(TokenFile, AByteOrderMarkIsIgnored) {
  const auto table = parse_ok(
      "\xEF\xBB\xBF"
      "ci read " +
      kAbcHash + "\n");
  ASSERT_TRUE(table.has_value());
  ASSERT_NE(table->authenticate("abc"), nullptr);
  EXPECT_EQ(table->authenticate("abc")->id, "ci");
}

TEST(TokenFile, AnUnknownScopeListsTheValidOnes) {
  EXPECT_EQ(error_of("# header\nci root " + kAbcHash + "\n"),
            kPath + ":2: error: unknown scope 'root'; the scopes are read, write and admin");
  EXPECT_TRUE(contains(error_of("ci Read " + kAbcHash), "unknown scope 'Read'"));
}

TEST(TokenFile, ABadHashSaysWhatIsExpected) {
  const std::string hex = kAbcHash.substr(7);
  struct Case {
    std::string hash;
    std::string says;
  };
  const std::vector<Case> cases = {
      {hex, "the third field is not a hash"},
      {"sha1:" + hex, "the third field is not a hash"},
      {"sha256:" + hex.substr(1), "the hash has 63 characters after sha256:"},
      {"sha256:" + hex + "0", "the hash has 65 characters after sha256:"},
      {"sha256:", "the hash has 0 characters after sha256:"},
      {"sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
       "uppercase hex digits"},
      {"sha256:" + hex.substr(0, 63) + "g", "not a hex digit"},
  };
  for (const Case& c : cases) {
    const std::string error = error_of("\n\nci read " + c.hash + "\n");
    EXPECT_TRUE(error.starts_with(kPath + ":3: error: ")) << error;
    EXPECT_TRUE(contains(error, c.says)) << c.hash << " → " << error;
    EXPECT_TRUE(contains(error, "expected sha256: then 64 lowercase hex digits")) << error;
  }
}

TEST(TokenFile, ABadIdIsNamed) {
  EXPECT_EQ(error_of("ci/bot read " + kAbcHash),
            kPath +
                ":1: error: the id 'ci/bot' may hold only letters A-Z a-z, digits, '.', '_' and "
                "'-'");
  EXPECT_TRUE(contains(error_of("bộ-ngành read " + kAbcHash), "may hold only letters"));
  EXPECT_EQ(error_of(std::string(65, 'a') + " read " + kAbcHash),
            kPath + ":1: error: the id is 65 characters long; the most is 64");
  EXPECT_EQ(parse_ok(std::string(64, 'a') + " read " + kAbcHash)->size(), 1u);
}

TEST(TokenFile, AWrongNumberOfFieldsShowsTheShapeOfALine) {
  EXPECT_EQ(error_of("ci read\n"),
            kPath +
                ":1: error: expected `<id> <scope> sha256:<64 lowercase hex digits>`, found 2 "
                "fields");
  EXPECT_TRUE(contains(error_of("ci\n"), "found 1 field"));
  EXPECT_TRUE(contains(error_of("ci read " + kAbcHash + " # comment\n"), "found 5 fields"));
}

TEST(TokenFile, ADuplicateIdNamesTheFirstLine) {
  const std::string text = "# ids\nci read " + token_hash_text("tdo_a") + "\nother write " +
                           token_hash_text("tdo_b") + "\nci admin " + token_hash_text("tdo_c") +
                           "\n";
  EXPECT_EQ(error_of(text), kPath + ":4: error: the id 'ci' is already given on line 2");
}

TEST(TokenFile, ADuplicateHashNamesTheFirstLine) {
  const std::string text = "ci read " + kAbcHash + "\n\nbot admin " + kAbcHash + "\n";
  EXPECT_EQ(error_of(text), kPath +
                                ":3: error: the same hash as 'ci' on line 1: give each client "
                                "its own token");
}

TEST(TokenFile, ARawTokenIsRefusedWithoutRepeatingIt) {
  const std::string token = generate_token();
  for (const std::string& text :
       {token + "\n", "ci read " + token + "\n", token + " read " + kAbcHash + "\n"}) {
    const std::string error = error_of("# pasted\n" + text);
    EXPECT_TRUE(error.starts_with(kPath + ":2: error: ")) << error;
    EXPECT_TRUE(
        contains(error, "the tokens file holds hashes, not tokens; use `tiendo token hash`"))
        << error;
    EXPECT_FALSE(contains(error, token.substr(4))) << "the error repeats the token: " << error;
  }
}

TEST(TokenFile, EveryBadLineIsReportedInOrder) {
  const std::string text = "ci read " + kAbcHash +
                           "\n"
                           "bad scope " +
                           token_hash_text("x") + "\n" + "ok write " + token_hash_text("y") + "\n" +
                           "h read sha256:00\n" + "ci write " + token_hash_text("z") + "\n";
  const auto errors = errors_of(text);
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].where, kPath + ":2");
  EXPECT_TRUE(contains(errors[0].message, "unknown scope 'scope'"));
  EXPECT_EQ(errors[1].where, kPath + ":4");
  EXPECT_EQ(errors[2].where, kPath + ":5");
  EXPECT_TRUE(contains(errors[2].message, "already given on line 1"));
}

TEST(TokenFile, ErrorsAreAppendedToThoseAlreadyThere) {
  std::vector<ConfigError> errors = {{"elsewhere", "an earlier error"}};
  EXPECT_FALSE(TokenTable::parse("ci nope " + kAbcHash, kPath, errors).has_value());
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[1].where, kPath + ":1");
  // An earlier error elsewhere does not make a good file bad.
  EXPECT_TRUE(TokenTable::parse("ci read " + kAbcHash, kPath, errors).has_value());
}

TEST(TokenFile, LoadReadsAFile) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/tokens";
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    const std::string text = "# file\n" + line("ci", "write", "tdo_secret");
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
  }
  std::vector<ConfigError> errors;
  const auto table = TokenTable::load(path, errors);
  ASSERT_TRUE(table.has_value()) << (errors.empty() ? "" : errors.front().render());
  EXPECT_EQ(table->size(), 1u);
  ASSERT_NE(table->authenticate("tdo_secret"), nullptr);
  EXPECT_EQ(table->authenticate("tdo_secret")->scope, Scope::write);
}

TEST(TokenFile, AMissingFileIsAnErrorNamingIt) {
  testing::TempDir dir;
  std::vector<ConfigError> errors;
  EXPECT_FALSE(TokenTable::load(dir.path() + "/absent", errors).has_value());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].where, dir.path() + "/absent");
  EXPECT_EQ(errors[0].render(), dir.path() +
                                    "/absent: error: cannot read the tokens file: No such file "
                                    "or directory");
}

TEST(TokenFile, ADirectoryIsAnErrorNamingIt) {
  testing::TempDir dir;
  std::vector<ConfigError> errors;
  EXPECT_FALSE(TokenTable::load(dir.path(), errors).has_value());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].where, dir.path());
  EXPECT_TRUE(contains(errors[0].message, "cannot read the tokens file")) << errors[0].message;
}

class TokenAuthenticate : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 3; ++i) tokens_.push_back(generate_token());
    const auto table =
        parse_ok(line("reader", "read", tokens_[0]) + line("writer", "write", tokens_[1]) +
                 line("root", "admin", tokens_[2]));
    ASSERT_TRUE(table.has_value());
    table_ = *table;
  }

  std::vector<std::string> tokens_;
  TokenTable table_;
};

TEST_F(TokenAuthenticate, FindsTheEntryOfEachToken) {
  const std::vector<std::pair<std::string, Scope>> expected = {
      {"reader", Scope::read}, {"writer", Scope::write}, {"root", Scope::admin}};
  for (std::size_t i = 0; i < tokens_.size(); ++i) {
    const Token* t = table_.authenticate(tokens_[i]);
    ASSERT_NE(t, nullptr) << i;
    EXPECT_EQ(t->id, expected[i].first);
    EXPECT_EQ(t->scope, expected[i].second);
  }
}

TEST_F(TokenAuthenticate, RejectsAnotherToken) {
  EXPECT_EQ(table_.authenticate(generate_token()), nullptr);
  EXPECT_EQ(table_.authenticate("tdo_"), nullptr);
}

TEST_F(TokenAuthenticate, RejectsATokenDifferingInItsLastCharacter) {
  std::string near = tokens_[1];
  near.back() = near.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(table_.authenticate(near), nullptr);
  EXPECT_EQ(table_.authenticate(tokens_[1].substr(0, tokens_[1].size() - 1)), nullptr);
  EXPECT_EQ(table_.authenticate(tokens_[1] + "A"), nullptr);
  EXPECT_EQ(table_.authenticate(" " + tokens_[1]), nullptr);
}

TEST_F(TokenAuthenticate, RejectsTheHashPresentedAsAToken) {
  EXPECT_EQ(table_.authenticate(token_hash_text(tokens_[0])), nullptr);
  EXPECT_EQ(table_.authenticate(token_hash_text(tokens_[0]).substr(7)), nullptr);
}

TEST_F(TokenAuthenticate, RejectsAnEmptyToken) {
  EXPECT_EQ(table_.authenticate(""), nullptr);
  EXPECT_EQ(TokenTable().authenticate(""), nullptr);
}

TEST(TokenAuthenticateTable, AnEmptyTableGrantsNothing) {
  const TokenTable table;
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.authenticate(generate_token()), nullptr);
}

TEST(TokenAuthenticateTable, TheLastOfManyEntriesIsFound) {
  std::string text;
  for (int i = 0; i < 200; ++i) {
    text += line("client" + std::to_string(i), "read", "tdo_token" + std::to_string(i));
  }
  const auto table = parse_ok(text);
  ASSERT_TRUE(table.has_value());
  ASSERT_EQ(table->size(), 200u);
  for (int i : {0, 1, 100, 199}) {
    const Token* t = table->authenticate("tdo_token" + std::to_string(i));
    ASSERT_NE(t, nullptr) << i;
    EXPECT_EQ(t->id, "client" + std::to_string(i));
  }
  EXPECT_EQ(table->authenticate("tdo_token200"), nullptr);
}

}  // namespace
}  // namespace tiendo::service
