#include "util/text.hpp"

#include <gtest/gtest.h>

namespace tiendo::util {
namespace {

TEST(Utf8, AcceptsVietnameseText) {
  EXPECT_EQ(find_invalid_utf8("Tỷ lệ hồ sơ thủ tục hành chính"), std::nullopt);
}

TEST(Utf8, FindsTheFirstIllFormedByte) {
  EXPECT_EQ(find_invalid_utf8("ab\xC3"), 2u);             // truncated sequence
  EXPECT_EQ(find_invalid_utf8("a\xC0\xAF"), 1u);          // overlong
  EXPECT_EQ(find_invalid_utf8("\xED\xA0\x80"), 0u);       // surrogate
  EXPECT_EQ(find_invalid_utf8("x\xF4\x90\x80\x80"), 1u);  // above U+10FFFF
  EXPECT_EQ(find_invalid_utf8("\x80"), 0u);               // lone continuation
}

TEST(Utf8, CountsCodePointsNotBytes) {
  EXPECT_EQ(count_code_points("Đồng Nai"), 8u);
  EXPECT_EQ(count_code_points("\xFF"
                              "a"),
            2u);  // an invalid byte counts one
}

TEST(Utf8, DecodesAndMarksCombiningMarks) {
  std::size_t pos = 0;
  const std::string nfd = "e\xCC\x82";  // e + combining circumflex
  EXPECT_EQ(decode_utf8(nfd, pos), U'e');
  EXPECT_TRUE(is_combining_mark(decode_utf8(nfd, pos)));
  EXPECT_EQ(pos, nfd.size());
}

TEST(Suggest, FindsTheClosestName) {
  const std::vector<std::string> names = {"online_dossier_rate", "smartphone_rate",
                                          "open_data_agency_rate"};
  EXPECT_EQ(closest_match("onlin_dossier_rate", names), "online_dossier_rate");
  EXPECT_EQ(closest_match("smartphone_rte", names), "smartphone_rate");
  EXPECT_EQ(closest_match("Smartphone_Rate", names), "smartphone_rate");
  EXPECT_EQ(closest_match("budget", names), std::nullopt);
}

TEST(Suggest, CountsATranspositionAsOneEdit) {
  EXPECT_EQ(edit_distance("ab", "ba"), 1u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
}

TEST(Trim, TakesTheGivenBytesOffBothEndsOnly) {
  EXPECT_EQ(trim("  \tĐồng Nai \t"), "Đồng Nai");
  EXPECT_EQ(trim(" \t "), "");
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim("\r\nx y\r\n"), "\r\nx y\r\n");  // not a space by default
  EXPECT_EQ(trim("\r\nx y\r\n", " \r\n"), "x y");
}

TEST(AsciiLower, LowersAsciiLettersAndLeavesUtf8Alone) {
  EXPECT_EQ(ascii_lower("Text/CSV; Charset=UTF-8"), "text/csv; charset=utf-8");
  EXPECT_EQ(ascii_lower("ĐỒNG Nai"), "ĐỒng nai");  // multi-byte letters are bytes, kept
}

TEST(Utf8Prefix, NeverEndsInsideACodePoint) {
  EXPECT_EQ(utf8_prefix("Đồng", 0), "");
  EXPECT_EQ(utf8_prefix("Đồng", 1), "");  // Đ is two bytes
  EXPECT_EQ(utf8_prefix("Đồng", 2), "Đ");
  EXPECT_EQ(utf8_prefix("Đồng", 4), "Đ");  // ồ is three
  EXPECT_EQ(utf8_prefix("Đồng", 5), "Đồ");
  EXPECT_EQ(utf8_prefix("Đồng", 100), "Đồng");
  EXPECT_EQ(utf8_prefix("a\xFF\xFE", 2), "a\xFF");  // ill-formed bytes are cut anywhere
  EXPECT_EQ(utf8_prefix("", 3), "");
}

// cap_for_display: what it keeps, what it escapes and where it cuts.
struct CapCase {
  const char* name;
  std::string text;
  std::size_t max_bytes;
  std::string expected;
};

// gtest names a case by this rather than by its bytes.
void PrintTo(const CapCase& c, std::ostream* out) { *out << c.name; }

class CapForDisplay : public ::testing::TestWithParam<CapCase> {};

TEST_P(CapForDisplay, EscapesAndCuts) {
  const CapCase& c = GetParam();
  const std::string shown = cap_for_display(c.text, c.max_bytes);
  EXPECT_EQ(shown, c.expected);
  // Whatever the input, the result is well-formed UTF-8 without a control character.
  EXPECT_EQ(find_invalid_utf8(shown), std::nullopt) << shown;
  for (const char ch : shown) {
    EXPECT_FALSE(static_cast<unsigned char>(ch) < 0x20 || ch == 0x7F) << shown;
  }
  // And it comes through a second time unchanged.
  EXPECT_EQ(cap_for_display(shown, shown.size()), shown);
}

using namespace std::string_literals;

INSTANTIATE_TEST_SUITE_P(
    Table, CapForDisplay,
    ::testing::Values(
        CapCase{"Empty", "", 10, ""}, CapCase{"EmptyWithNoRoom", "", 0, ""},
        CapCase{"Short", "HTTP 500: down", 100, "HTTP 500: down"},
        CapCase{"ExactlyTheCap", "abcde", 5, "abcde"},
        CapCase{"OneByteOver", "abcdef", 5, "abcde\u2026 (1 byte more)"},
        CapCase{"NoRoomAtAll", "abc", 0, "\u2026 (3 bytes more)"},
        CapCase{"Vietnamese", "Tỉnh Đồng Nai", 100, "Tỉnh Đồng Nai"},
        // "ỉ" takes bytes 1-3: a cap of 2 or 3 keeps only "T", never half of it.
        CapCase{"CutBeforeATwoByteLetter", "aĐb", 2, "a\u2026 (3 bytes more)"},
        CapCase{"CutInsideAThreeByteLetter", "Tỉnh", 3, "T\u2026 (5 bytes more)"},
        CapCase{"CutAfterAThreeByteLetter", "Tỉnh", 4, "Tỉ\u2026 (2 bytes more)"},
        CapCase{"CutInsideAFourByteLetter", "x😀y", 4, "x\u2026 (5 bytes more)"},
        CapCase{"Nul", "a\0b"s, 100, "a\\x00b"}, CapCase{"OnlyNul", "\0"s, 100, "\\x00"},
        CapCase{"LineBreaksAndTab", "a\r\nb\tc", 100, "a\\x0d\\x0ab\\x09c"},
        CapCase{"TerminalEscape", "\x1b[31mred\x1b[0m", 100, "\\x1b[31mred\\x1b[0m"},
        CapCase{"Delete", "a\x7f", 100, "a\\x7f"},
        CapCase{"C1Control",
                "a\xC2\x9B"
                "31m",
                100, "a\\xc2\\x9b31m"},
        CapCase{"IllFormedBytes", "a\xFF\xC3(b", 100, "a\\xff\\xc3(b"},
        CapCase{"TruncatedSequenceAtTheEnd", "ab\xE1\xBB", 100, "ab\\xe1\\xbb"},
        CapCase{"Surrogate", "\xED\xA0\x80", 100, "\\xed\\xa0\\x80"},
        CapCase{"BidiOverride", "abc\u202Egpj.exe", 100, "abc\\u{202E}gpj.exe"},
        CapCase{"LineSeparator", "a\u2028b", 100, "a\\u{2028}b"},
        // An escape is never cut in half: "\x00" is four bytes, and only whole ones fit.
        CapCase{"EscapeDoesNotFit", "ab\0c"s, 5, "ab\u2026 (2 bytes more)"},
        CapCase{"EscapeJustFits", "ab\0c"s, 6, "ab\\x00\u2026 (1 byte more)"},
        CapCase{"Backslashes", "C:\\x00", 100, "C:\\x00"}),
    [](const ::testing::TestParamInfo<CapCase>& param) { return std::string(param.param.name); });

TEST(CapForDisplay, CountsWhatWasNeverReadInTheSuffix) {
  EXPECT_EQ(cap_for_display("abc", 10, 5), "abc\u2026 (5 bytes more)");
  EXPECT_EQ(cap_for_display("abcdef", 3, 5), "abc\u2026 (8 bytes more)");
  EXPECT_EQ(cap_for_display("", 3, 1), "\u2026 (1 byte more)");
  EXPECT_EQ(cap_for_display("abc", 10, 0), "abc");
}

TEST(CapForDisplay, ReadsOnlyWhatItShowsOfAHugeText) {
  std::string huge(100u << 20, 'y');
  huge[0] = '\0';
  const std::string shown = cap_for_display(huge, 200);
  EXPECT_LE(shown.size(), 200u + 40u);
  EXPECT_TRUE(shown.starts_with("\\x00yyy")) << shown;
  EXPECT_TRUE(shown.ends_with("\u2026 (" + std::to_string(huge.size() - 197) + " bytes more)"))
      << shown;
}

}  // namespace
}  // namespace tiendo::util
