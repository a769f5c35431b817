#include "util/text.hpp"

#include <gtest/gtest.h>

namespace tiendo::util {
namespace {

TEST(Utf8, AcceptsVietnameseText) {
  EXPECT_EQ(find_invalid_utf8("Tỷ lệ hồ sơ thủ tục hành chính"), std::nullopt);
}

TEST(Utf8, FindsTheFirstIllFormedByte) {
  EXPECT_EQ(find_invalid_utf8("ab\xC3"), 2u);           // truncated sequence
  EXPECT_EQ(find_invalid_utf8("a\xC0\xAF"), 1u);        // overlong
  EXPECT_EQ(find_invalid_utf8("\xED\xA0\x80"), 0u);     // surrogate
  EXPECT_EQ(find_invalid_utf8("x\xF4\x90\x80\x80"), 1u);  // above U+10FFFF
  EXPECT_EQ(find_invalid_utf8("\x80"), 0u);             // lone continuation
}

TEST(Utf8, CountsCodePointsNotBytes) {
  EXPECT_EQ(count_code_points("Đồng Nai"), 8u);
  EXPECT_EQ(count_code_points("\xFF" "a"), 2u);  // an invalid byte counts one
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

}  // namespace
}  // namespace tiendo::util
