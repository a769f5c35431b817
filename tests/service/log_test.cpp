// The service's log lines: whatever a field carries (a receiver's error page, a request
// path), a line stays one line of bounded size with nothing raw for a terminal.
#include "service/log.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "util/text.hpp"

namespace tiendo::service {
namespace {

using namespace std::string_literals;

// A receiver's answer at its worst: NUL, a terminal escape, a line break that would
// forge a second log line, a C1 control, an ill-formed byte, then 10 MB.
std::string hostile_text() {
  return "bad\0gateway \x1b[31mred\ninfo forged line \xC2\x9B\xFF "s + std::string(10u << 20, 'y');
}

// The N of "… (N bytes more)" in `text`, or -1.
long long bytes_more(const std::string& text) {
  const std::size_t end = text.find(" bytes more)");
  if (end == std::string::npos) return -1;
  const std::size_t start = text.rfind('(', end);
  return start == std::string::npos ? -1 : std::stoll(text.substr(start + 1, end - start - 1));
}

void expect_one_clean_line(const std::string& line) {
  EXPECT_EQ(util::find_invalid_utf8(line), std::nullopt);
  for (const char c : line) {
    ASSERT_FALSE(static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
        << "control byte " << static_cast<int>(static_cast<unsigned char>(c)) << " in "
        << line.substr(0, 300);
  }
}

TEST(LogText, CapsAndEscapesEveryField) {
  const std::string hostile = hostile_text();
  const std::string line =
      Log::render(LogFormat::text, "warn", "delivery failed; will retry",
                  {{"channel", "ops"}, {"error", hostile}, {"path", "/a\x1b]0;title\x07"}});
  expect_one_clean_line(line);
  EXPECT_LT(line.size(), 3 * 1024u) << line.substr(0, 300);
  EXPECT_TRUE(line.starts_with("warn delivery failed; will retry channel=ops error=")) << line;
  EXPECT_NE(line.find("bad\\\\x00gateway \\\\x1b[31mred\\\\x0ainfo forged line "
                      "\\\\xc2\\\\x9b\\\\xff yyy"),
            std::string::npos)
      << line.substr(0, 300);
  // About a kilobyte of it is shown; the rest is counted.
  EXPECT_GT(bytes_more(line), static_cast<long long>(hostile.size()) - 1100) << line;
  EXPECT_LT(bytes_more(line), static_cast<long long>(hostile.size()) - 900) << line;
  EXPECT_NE(line.find("path=/a\\x1b]0;title\\x07"), std::string::npos) << line;
}

TEST(LogText, LeavesOrdinaryValuesAsTheyWere) {
  EXPECT_EQ(Log::render(LogFormat::text, "info", "message delivered",
                        {{"outbox_id", 3},
                         {"channel", "bcd"},
                         {"kind", "email"},
                         {"ok", true},
                         {"note", "Tỉnh Đồng Nai"},
                         {"seconds", 0.5}}),
            "info message delivered outbox_id=3 channel=bcd kind=email ok=true "
            "note=\"Tỉnh Đồng Nai\" seconds=0.500");
}

TEST(LogJson, CapsEveryFieldAndStaysValidJson) {
  const std::string hostile = hostile_text();
  const std::string line = Log::render(LogFormat::json, "warn", "delivery failed; will retry",
                                       {{"channel", "ops"}, {"error", hostile}, {"status", 500}});
  expect_one_clean_line(line);
  EXPECT_LT(line.size(), 3 * 1024u) << line.substr(0, 300);
  const nlohmann::json parsed = nlohmann::json::parse(line, nullptr, false);
  ASSERT_TRUE(parsed.is_object()) << line.substr(0, 300);
  EXPECT_EQ(parsed.value("status", 0), 500);
  EXPECT_EQ(parsed.value("channel", ""), "ops");
  const std::string error = parsed.value("error", "");
  // JSON escapes the controls itself, so the value keeps them; only its length is cut.
  EXPECT_TRUE(error.starts_with("bad\0gateway \x1b[31mred\ninfo"s)) << error.substr(0, 100);
  EXPECT_TRUE(error.ends_with(" bytes more)")) << error.substr(error.size() - 100);
  EXPECT_LT(error.size(), 1100u);
  EXPECT_GT(bytes_more(error), static_cast<long long>(hostile.size()) - 1100) << error;
}

TEST(LogJson, ALongSummaryIsKeptAsATextNotCutInsideTheJson) {
  std::string summary = "{\"at\":\"2026-01-01\",\"notes\":\"" + std::string(5000, 'n') + "\"}";
  const std::string line =
      Log::render(LogFormat::json, "info", "evaluation finished", {{"summary", JsonText{summary}}});
  const nlohmann::json parsed = nlohmann::json::parse(line, nullptr, false);
  ASSERT_TRUE(parsed.is_object()) << line;
  ASSERT_TRUE(parsed["summary"].is_string()) << line;
  EXPECT_TRUE(parsed["summary"].get<std::string>().starts_with("{\"at\":\"2026-01-01\""));
  EXPECT_LT(line.size(), 1300u);
  const std::string small = Log::render(LogFormat::json, "info", "evaluation finished",
                                        {{"summary", JsonText{"{\"results\":42}"}}});
  EXPECT_EQ(nlohmann::json::parse(small)["summary"]["results"], 42);
}

}  // namespace
}  // namespace tiendo::service
