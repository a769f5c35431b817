// Table-driven tests of the CSV and JSON readers: each case gives an input and the
// transcript of what the sink hears, with the line of every header, record and error.
#include "store/records.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

namespace tiendo::store {
namespace {

// Writes each call as one line: "H1 [a][b]", "R2 [x][y]", "E3 message".
class Transcript : public RecordSink {
 public:
  bool header(const std::vector<std::string>& names, std::uint32_t line) override {
    std::string entry = "H" + std::to_string(line) + " ";
    for (const std::string& name : names) entry += "[" + name + "]";
    calls.push_back(entry);
    return headers_left-- > 1;
  }
  bool record(const std::vector<std::string_view>& fields, std::uint32_t line) override {
    std::string entry = "R" + std::to_string(line) + " ";
    for (const std::string_view field : fields) entry += "[" + std::string(field) + "]";
    calls.push_back(entry);
    return records_left-- > 1;
  }
  void error(std::uint32_t line, std::string message) override {
    calls.push_back("E" + std::to_string(line) + " " + message);
  }

  std::vector<std::string> calls;
  int headers_left = 1000;
  int records_left = 1000;
};

struct Case {
  const char* name;
  std::string input;
  std::vector<std::string> expected;
};

void PrintTo(const Case& c, std::ostream* out) { *out << c.name; }

std::string CaseName(const testing::TestParamInfo<Case>& param) { return param.param.name; }

std::vector<std::string> read_with(void (*reader)(std::string_view, RecordSink&),
                                   std::string_view input) {
  Transcript sink;
  reader(input, sink);
  return sink.calls;
}

// ---------------------------------------------------------------------------------------
// CSV

class CsvTest : public testing::TestWithParam<Case> {};

TEST_P(CsvTest, ReadsAsExpected) {
  const Case& c = GetParam();
  EXPECT_EQ(read_with(read_csv, c.input), c.expected);
  // read_records must choose CSV for all of them.
  EXPECT_EQ(read_with(read_records, c.input), c.expected);
}

const std::string kNfc = "Đồng Nai, Tỷ lệ";  // precomposed
const std::string kNfd =                     // "Đồng Nai, Tỷ lệ" decomposed
    "\xC4\x90o\xCC\x82\xCC\x80ng Nai, Ty\xCC\x89 le\xCC\xA3\xCC\x82";
const std::string kNfdWord = "Vie\xCC\xA3\xCC\x82t";  // "Việt" decomposed

INSTANTIATE_TEST_SUITE_P(
    Csv, CsvTest,
    testing::Values(
        Case{"Comma", "a,b\n1,2\n3,4\n", {"H1 [a][b]", "R2 [1][2]", "R3 [3][4]"}},
        Case{"Semicolon", "a;b\n1,5;2\n", {"H1 [a][b]", "R2 [1,5][2]"}},
        Case{"Tab", "a\tb\n1;2\t3,4\n", {"H1 [a][b]", "R2 [1;2][3,4]"}},
        Case{"DelimiterTiePrefersComma", "a,b;c\n1,2;3\n", {"H1 [a][b;c]", "R2 [1][2;3]"}},
        Case{"DelimiterCountsOutsideQuotesOnly",
             "\"a;b;c\";d;e,f\n1,2;3;4\n",
             {"H1 [a;b;c][d][e,f]", "R2 [1,2][3][4]"}},
        Case{"SingleColumn", "value\n7\n8", {"H1 [value]", "R2 [7]", "R3 [8]"}},
        Case{"Bom", "\xEF\xBB\xBFindicator,value\nx,1\n", {"H1 [indicator][value]", "R2 [x][1]"}},
        Case{"Crlf", "a,b\r\n1,2\r\n\r\n3,4\r\n", {"H1 [a][b]", "R2 [1][2]", "R4 [3][4]"}},
        Case{"LoneCr", "a,b\r1,2\r3,4", {"H1 [a][b]", "R2 [1][2]", "R3 [3][4]"}},
        Case{"NoFinalNewline", "a,b\n1,2", {"H1 [a][b]", "R2 [1][2]"}},
        Case{"FinalEmptyField", "a,b\n1,", {"H1 [a][b]", "R2 [1][]"}},
        Case{"EmptyFields", "a,b,c\n,,\n", {"H1 [a][b][c]", "R2 [][][]"}},
        Case{"BlankLinesCountForLineNumbers",
             "\n\na,b\n\n1,2\n   \n\n3,4\n\n",
             {"H3 [a][b]", "R5 [1][2]", "R8 [3][4]"}},
        Case{"HeaderTrimmedFieldsNot", " a ,\" b \"\n 1 , 2 \n", {"H1 [a][b]", "R2 [ 1 ][ 2 ]"}},
        Case{"QuotedDelimiter",
             "indicator,unit,period,value\nonline_dossier_rate,xa_0001,2022-Q3,\"77,62%\"\n",
             {"H1 [indicator][unit][period][value]",
              "R2 [online_dossier_rate][xa_0001][2022-Q3][77,62%]"}},
        Case{"QuotedQuotes",
             "a,b\n\"say \"\"hi\"\"\",\"\"\"\"\n\"\",x\n",
             {"H1 [a][b]", "R2 [say \"hi\"][\"]", "R3 [][x]"}},
        Case{"TwoEscapedFieldsInOneRecord",
             "a,b,c\n\"1\"\"\",plain,\"\"\"2\"\n",
             {"H1 [a][b][c]", "R2 [1\"][plain][\"2]"}},
        Case{"QuotedNewlinesKeepLineNumbers",
             "a,b\n\"line one\nline two\nline three\",x\n1,2\n\"p\r\nq\",\"r\"\"\ns\"\n5,6\n",
             {"H1 [a][b]", "R2 [line one\nline two\nline three][x]", "R5 [1][2]",
              "R6 [p\r\nq][r\"\ns]", "R9 [5][6]"}},
        Case{"QuotedHeaderWithNewline", "\"a\nb\",c\n1,2\n", {"H1 [a\nb][c]", "R3 [1][2]"}},
        Case{"RaggedRows",
             "a,b,c,d\n1,2,3,4\n1,2,3,4,5\n1\n1,2,3,4\n",
             {"H1 [a][b][c][d]", "R2 [1][2][3][4]", "E3 5 fields, the header has 4",
              "E4 1 field, the header has 4", "R5 [1][2][3][4]"}},
        Case{"UnterminatedQuoteAtItsOpeningLine",
             "a,b\n1,2\n3,\"open\n\nmore\n",
             {"H1 [a][b]", "R2 [1][2]",
              "E3 unterminated quote: the quoted field that opens on this line never closes"}},
        Case{"StrayQuote",
             "a,b\n5\" screen,1\n2,3\n",
             {"H1 [a][b]",
              "E2 a quote inside an unquoted field; quote the whole field and double the "
              "quotes in it (\"5\"\" screen\")",
              "R3 [2][3]"}},
        Case{"SpaceBeforeAnOpeningQuoteIsAStrayQuote",
             "a,b\n1, \"x\"\n",
             {"H1 [a][b]",
              "E2 a quote inside an unquoted field; quote the whole field and double the "
              "quotes in it (\"5\"\" screen\")"}},
        Case{"TextAfterClosingQuote",
             "a,b\n\"x\"y,1\n2,3\n",
             {"H1 [a][b]",
              "E2 'y' after a closing quote; a quoted field ends at its closing quote (write "
              "\"\" for a quote inside)",
              "R3 [2][3]"}},
        // Issue #12: the whole character, never its first byte ("byte 0xC3" for a Vietnamese
        // letter).
        Case{"VietnameseTextAfterClosingQuoteIsShownWhole",
             "a,b\n\"Biên Hòa\"ý,1\n2,3\n",
             {"H1 [a][b]",
              "E2 'ý' after a closing quote; a quoted field ends at its closing quote (write "
              "\"\" for a quote inside)",
              "R3 [2][3]"}},
        Case{"InvalidUtf8",
             "a,b\n1,\xC3\x28\n2,3\n\"x\n\xFF\",4\n5,6\n",
             {"H1 [a][b]", "E2 invalid UTF-8 (byte 0xC3); is the file saved as UTF-8?", "R3 [2][3]",
              "E5 invalid UTF-8 (byte 0xFF); is the file saved as UTF-8?", "R6 [5][6]"}},
        Case{"InvalidUtf8InHeaderStops",
             "a,\xE1\n1,2\n",
             {"E1 invalid UTF-8 (byte 0xE1); is the file saved as UTF-8?"}},
        Case{
            "VietnameseNfcAndNfdByteExact",
            "ten,ghi_chu\n\"" + kNfc + "\",\"" + kNfd + "\"\n" + kNfdWord + ";x,y\n",
            {"H1 [ten][ghi_chu]", "R2 [" + kNfc + "][" + kNfd + "]", "R3 [" + kNfdWord + ";x][y]"}},
        Case{"Empty", "", {"E0 the input has no header line"}},
        Case{"OnlyBlankLines", "\n \r\n\n", {"E0 the input has no header line"}},
        Case{"Utf16",
             std::string("\xFF\xFE"
                         "a\0,\0b\0",
                         8),
             {"E0 the input is UTF-16; save it as UTF-8"}}),
    CaseName);

TEST(CsvDelimiter, IsDetectedFromTheFirstLine) {
  EXPECT_EQ(detect_delimiter("a,b;c;d\n1,2,3,4,5"), Delimiter::semicolon);
  EXPECT_EQ(detect_delimiter("a\tb;c\td"), Delimiter::tab);
  EXPECT_EQ(detect_delimiter("a\tb;c"), Delimiter::semicolon);  // tie: semicolon over tab
  EXPECT_EQ(detect_delimiter("a"), Delimiter::comma);
  EXPECT_EQ(detect_delimiter("\"a,b,c\";d"), Delimiter::semicolon);
}

TEST(CsvSink, StopsWhenTheSinkSaysSo) {
  Transcript sink;
  sink.records_left = 2;
  read_csv("a\n1\n2\n3\n4\n", sink);
  EXPECT_EQ(sink.calls, (std::vector<std::string>{"H1 [a]", "R2 [1]", "R3 [2]"}));

  Transcript refuses_header;
  refuses_header.headers_left = 1;
  read_csv("a\n1\n", refuses_header);
  EXPECT_EQ(refuses_header.calls, (std::vector<std::string>{"H1 [a]"}));
}

TEST(CsvFields, ViewIntoTheTextWhenNothingIsUnescaped) {
  struct Check : RecordSink {
    std::string_view text;
    bool all_inside = true;
    bool header(const std::vector<std::string>&, std::uint32_t) override { return true; }
    bool record(const std::vector<std::string_view>& fields, std::uint32_t) override {
      for (const std::string_view field : fields) {
        all_inside = all_inside && field.data() >= text.data() &&
                     field.data() + field.size() <= text.data() + text.size();
      }
      return true;
    }
    void error(std::uint32_t, std::string) override { all_inside = false; }
  } sink;
  const std::string text = "a,b\nplain,\"quoted, with comma\"\n";
  sink.text = text;
  read_csv(text, sink);
  EXPECT_TRUE(sink.all_inside);
}

// Regression (#13): a 100 MB line was read whole, and copied on its way to an error.
TEST(CsvBounds, ARowLongerThanTheBoundIsRefusedAndTheNextLineRead) {
  const std::string fits(kMaxRecordBytes - 2, 'y');  // "x," and these: exactly the bound
  const std::string text =
      "a,b\n"
      "x," +
      fits +
      "\n"
      "x," +
      fits +
      "y\n"
      "5,6\n";
  const auto calls = read_with(read_csv, text);
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls[0], "H1 [a][b]");
  EXPECT_EQ(calls[1].size(), std::string("R2 [x][]").size() + fits.size());
  EXPECT_EQ(calls[2],
            "E3 the row is longer than 64 KiB; a row is at most 64 KiB (its fields, "
            "delimiters and quotes)");
  EXPECT_EQ(calls[3], "R4 [5][6]");
}

TEST(CsvBounds, TheBoundHoldsInsideQuotesAndKeepsTheLinesCounted) {
  const std::string long_text(kMaxRecordBytes, 'z');
  EXPECT_EQ(read_with(read_csv, "a,b\n1,\"a\nb\r\nc\n" + long_text + "\"\n7,8\n"),
            (std::vector<std::string>{
                "H1 [a][b]",
                "E2 the row is longer than 64 KiB; a row is at most 64 KiB (its fields, "
                "delimiters and quotes)",
                "R6 [7][8]"}));
  // Doubled quotes that straddle the bound.
  std::string doubled(kMaxRecordBytes + 10, ' ');
  for (std::size_t i = 0; i < doubled.size(); i += 2) doubled.replace(i, 2, "\"\"");
  EXPECT_EQ(read_with(read_csv, "a\n\"" + doubled + "\"\n7\n"),
            (std::vector<std::string>{
                "H1 [a]",
                "E2 the row is longer than 64 KiB; a row is at most 64 KiB (its fields, "
                "delimiters and quotes)",
                "R3 [7]"}));
  // A delimiter just past the bound.
  const std::string quoted_fits(kMaxRecordBytes - 2, 'q');
  EXPECT_EQ(read_with(read_csv, "a,b\n\"" + quoted_fits + "\",\n7,8\n"),
            (std::vector<std::string>{
                "H1 [a][b]",
                "E2 the row is longer than 64 KiB; a row is at most 64 KiB (its fields, "
                "delimiters and quotes)",
                "R3 [7][8]"}));
}

TEST(CsvBounds, AHeaderLongerThanTheBoundEndsTheReading) {
  EXPECT_EQ(read_with(read_csv, std::string(kMaxRecordBytes + 1, 'h') + "\n1\n"),
            (std::vector<std::string>{"E1 the row is longer than 64 KiB; a row is at most 64 "
                                      "KiB (its fields, delimiters and quotes)"}));
}

// Random fields made of the characters that matter (delimiters, quotes, line breaks,
// spaces, multi-byte text), written the way a spreadsheet writes them, read back intact
// and at the right lines.
TEST(CsvRoundTrip, RandomFieldsSurviveQuoting) {
  const std::vector<std::string> pieces = {"a", "1", ",", ";", "\t", "\"", "\n", "\r\n", " ", "ệ"};
  for (const char delimiter : {',', ';', '\t'}) {
    std::mt19937 random(20221231);
    const auto pick = [&](std::size_t n) {
      return std::uniform_int_distribution<std::size_t>(0, n - 1)(random);
    };
    std::vector<std::vector<std::string>> rows;
    std::vector<std::uint32_t> lines;
    std::string text = std::string("h1") + delimiter + "h2" + delimiter + "h3\n";
    std::uint32_t line = 2;
    for (int r = 0; r < 500; ++r) {
      std::vector<std::string> row(3);
      for (std::string& field : row) {
        for (std::size_t n = pick(6); n > 0; --n) field += pieces[pick(pieces.size())];
      }
      // A lone row of one empty field would be a blank line.
      if (row[0].empty()) row[0] = "x";
      lines.push_back(line);
      for (std::size_t i = 0; i < row.size(); ++i) {
        const std::string& field = row[i];
        if (i > 0) text += delimiter;
        if (field.find_first_of(std::string("\"\r\n") + delimiter) == std::string::npos) {
          text += field;
          continue;
        }
        text += '"';
        for (const char c : field) {
          text += c;
          if (c == '"') text += '"';
          if (c == '\n') ++line;
        }
        text += '"';
      }
      text += "\n";
      ++line;
      rows.push_back(row);
    }
    std::vector<std::string> expected = {"H1 [h1][h2][h3]"};
    for (std::size_t r = 0; r < rows.size(); ++r) {
      expected.push_back("R" + std::to_string(lines[r]) + " [" + rows[r][0] + "][" + rows[r][1] +
                         "][" + rows[r][2] + "]");
    }
    EXPECT_EQ(read_with(read_csv, text), expected) << "delimiter " << int{delimiter};
  }
}

// ---------------------------------------------------------------------------------------
// JSON

class JsonTest : public testing::TestWithParam<Case> {};

TEST_P(JsonTest, ReadsAsExpected) {
  const Case& c = GetParam();
  EXPECT_EQ(read_with(read_json, c.input), c.expected);
  EXPECT_EQ(read_with(read_records, c.input), c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Json, JsonTest,
    testing::Values(
        Case{"Array",
             R"([{"indicator": "online_dossier_rate", "unit": "xa_0001", "value": 77.62},
 {"indicator": "smartphone_rate", "unit": "xa_0002", "value": 3103499}])",
             {"H1 [indicator][unit][value]", "R1 [online_dossier_rate][xa_0001][77.62]",
              "R2 [smartphone_rate][xa_0002][3103499]"}},
        Case{"NumbersKeepTheirText",
             R"([{"a": 77.62, "b": 3103499, "c": 1e3, "d": -0, "e": 0.7762, "f": 1.50E+2,
  "g": 123456789012345678901234567890}])",
             {"H1 [a][b][c][d][e][f][g]",
              "R1 [77.62][3103499][1e3][-0][0.7762][1.50E+2][123456789012345678901234567890]"}},
        Case{"ObjectOfArrays",
             "{\n  \"observations\": [\n    {\"unit\": \"xa_0001\", \"value\": 1}\n  ],\n"
             "  \"targets\": [\n    {\"indicator\": \"r\"},\n    {\"indicator\": \"s\"}\n  ]\n}\n",
             {"H2 [unit][value]", "R3 [xa_0001][1]", "H5 [indicator]", "R6 [r]", "R7 [s]"}},
        Case{"MissingKeysAreEmptyAndTheHeaderIsTheUnion",
             R"([{"a": "1"}, {"b": "2", "a": "3"}, {"c": "4"}, {}])",
             {"H1 [a][b][c]", "R1 [1][][]", "R1 [3][2][]", "R1 [][][4]", "R1 [][][]"}},
        Case{"ObjectsSpreadOverLines",
             "[\n  {\n    \"a\": \"x\",\n    \"b\": \"{[\\\"\"\n  },\n\n  {\"a\":\n \"y\"}, "
             "{\"a\": \"z\"}\n]",
             {"H1 [a][b]", "R2 [x][{[\"]", "R7 [y][]", "R8 [z][]"}},
        Case{"EscapesAreUnescaped",
             R"([{"t\u00ean": "\u0110\u1ed3ng Nai\n\"q\"", "plain": "\\"}])",
             {"H1 [tên][plain]", "R1 [Đồng Nai\n\"q\"][\\]"}},
        Case{"KeysAreTrimmed", R"([{" a ": "1", "b": "2"}])", {"H1 [a][b]", "R1 [1][2]"}},
        Case{"VietnameseNfcAndNfdByteExact",
             "[{\"nfc\": \"" + kNfc + "\", \"nfd\": \"" + kNfd + "\"}]",
             {"H1 [nfc][nfd]", "R1 [" + kNfc + "][" + kNfd + "]"}},
        Case{"Bom", "\xEF\xBB\xBF[{\"a\": 1}]", {"H1 [a]", "R1 [1]"}},
        Case{"EmptyArray", "[]", {"H1 "}},
        Case{"NestedAndLiteralValuesRejected",
             "[{\"a\": \"1\"},\n{\"a\": {\"x\": [1, {\"y\": 2}]}, \"b\": true},\n"
             "{\"a\": [1, 2]},\n{\"a\": null},\n{\"a\": false, \"z\": 1},\n{\"a\": \"2\"}]",
             {"H1 [a]", "R1 [1]", "E2 \"a\" is an object; a value must be a string or a number",
              "E3 \"a\" is an array; a value must be a string or a number",
              "E4 \"a\" is null; a value must be a string or a number",
              "E5 \"a\" is false; a value must be a string or a number", "R6 [2]"}},
        Case{"DuplicateKey",
             "[{\"a\": 1, \"a\": 2},\n{\"a\": 3}]",
             {"H1 [a]", "E1 key \"a\" appears twice in this object", "R2 [3]"}},
        Case{"ElementsThatAreNotObjects",
             "[{\"a\": 1},\n 2,\n \"s\",\n [1, {\"a\": 5}],\n null,\n{\"a\": 4}]",
             {"H1 [a]", "R1 [1]", "E2 an element of the array is a number; expected an object",
              "E3 an element of the array is a string; expected an object",
              "E4 an element of the array is an array; expected an object",
              "E5 an element of the array is null; expected an object", "R6 [4]"}},
        Case{"MemberThatIsNotAnArray",
             "{\"meta\": {\"v\": [1]},\n \"n\": 3,\n \"rows\": [{\"a\": 1}]}",
             {"E1 member \"meta\" is an object; expected an array of objects",
              "E2 member \"n\" is a number; expected an array of objects", "H3 [a]", "R3 [1]"}},
        Case{"SyntaxErrorAloneAtItsLine",
             "[{\"a\": 1},\n {\"a\": 2},\n {\"a\": 3,}\n]",
             {"E3 invalid JSON: syntax error while parsing object key - unexpected '}'; "
              "expected string literal"}},
        Case{"UnexpectedEndOfInput",
             "[{\"a\": 1},\n {\"a\": 2}\n",
             {"E3 invalid JSON: syntax error while parsing array - unexpected end of input; "
              "expected ']'"}},
        Case{"InvalidUtf8InAString",
             "[\n{\"a\": \"\xC3\x28\"}]",
             {"E2 invalid JSON: syntax error while parsing value - invalid string: ill-formed "
              "UTF-8 byte; last read: '\"\\xC3('"}}),
    CaseName);

TEST(JsonTopLevel, MustBeAnArrayOrAnObject) {
  EXPECT_EQ(read_with(read_json, "42"),
            (std::vector<std::string>{"E1 the input is a number; expected an array of objects, "
                                      "or an object whose members are arrays of objects"}));
}

TEST(JsonSink, StopsWhenTheSinkSaysSo) {
  Transcript sink;
  sink.headers_left = 2;
  read_json(R"({"a": [{"x": 1}], "b": [{"y": 2}], "c": [{"z": 3}]})", sink);
  EXPECT_EQ(sink.calls, (std::vector<std::string>{"H1 [x]", "R1 [1]", "H1 [y]"}));
}

// Regression (#13): found before nlohmann builds the token in memory.
TEST(JsonBounds, AStringOrNumberLongerThanTheBoundIsAnError) {
  const std::string fits(kMaxJsonTokenBytes, 'x');
  const auto read_fits = read_with(read_json, "[{\"a\": \"" + fits + "\"}]");
  ASSERT_EQ(read_fits.size(), 2u);
  EXPECT_EQ(read_fits[1], "R1 [" + fits + "]");
  EXPECT_EQ(read_with(read_json, "[\n{\"a\": \"x\"},\n{\"a\": \"" + fits + "y\"}]"),
            (std::vector<std::string>{"E3 a string longer than 64 KiB; a string is at most 64 "
                                      "KiB"}));
  EXPECT_EQ(read_with(read_json, "[{\"" + fits + "\\\"\": 1}]"),
            (std::vector<std::string>{"E1 a string longer than 64 KiB; a string is at most 64 "
                                      "KiB"}));
  EXPECT_EQ(read_with(read_json, "[{\"a\":\n " + std::string(kMaxJsonTokenBytes + 1, '7') + "}]"),
            (std::vector<std::string>{"E2 a number longer than 64 KiB; a number is at most 64 "
                                      "KiB"}));
}

// Regression: one object of 60,000 keys (700 KB, under the service's 1 MiB body limit)
// took 41 s, every key being compared with the object's others.
TEST(JsonBounds, AnObjectWithMoreKeysThanTheBoundIsAnError) {
  const auto object = [](std::size_t keys) {
    std::string text = "{";
    for (std::size_t i = 0; i < keys; ++i) {
      text += (i ? ", \"k" : "\"k") + std::to_string(i) + "\": \"v\"";
    }
    return text + "}";
  };
  const auto fits = read_with(read_json, "[" + object(kMaxJsonKeys) + "]");
  ASSERT_EQ(fits.size(), 2u);
  EXPECT_EQ(fits[1].substr(0, 8), "R1 [v][v");
  EXPECT_EQ(read_with(read_json, "[" + object(1) + ",\n" + object(60000) + "]"),
            (std::vector<std::string>{
                "H1 [k0]", "R1 [v]", "E2 the object has more than 64 keys; a row has at most 64"}));
}

// Random objects written by nlohmann itself, pretty-printed, read back with the header as
// the union of their keys and each object at the line of its `{`.
TEST(JsonRoundTrip, RandomObjectsReadBack) {
  std::mt19937 random(7);
  const auto pick = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(random);
  };
  const std::vector<std::string> keys = {"indicator", "unit", "period", "value", "note"};
  const std::vector<std::string> strings = {"", "Tỷ lệ \"hồ sơ\"", "a\\b\n\tc", "x_0001", "{[,:]}"};
  nlohmann::ordered_json array = nlohmann::ordered_json::array();
  for (int i = 0; i < 300; ++i) {
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    for (std::size_t k = pick(keys.size() + 1); k > 0; --k) {
      const std::string& key = keys[pick(keys.size())];
      switch (pick(3)) {
        case 0:
          object[key] = strings[pick(strings.size())];
          break;
        case 1:
          object[key] = static_cast<std::int64_t>(pick(1000000)) - 500000;
          break;
        default:
          object[key] = static_cast<double>(pick(100000)) / 128.0;
          break;
      }
    }
    array.push_back(object);
  }
  const std::string text = array.dump(2);

  std::vector<std::string> header;
  for (const auto& object : array) {
    for (const auto& item : object.items()) {
      if (std::find(header.begin(), header.end(), item.key()) == header.end()) {
        header.push_back(item.key());
      }
    }
  }
  std::string header_call = "H1 ";
  for (const std::string& name : header) header_call += "[" + name + "]";
  std::vector<std::string> expected = {header_call};
  std::uint32_t line = 2;  // dump(2) puts each object on its own lines after the `[`
  for (const auto& object : array) {
    std::string call = "R" + std::to_string(line) + " ";
    for (const std::string& name : header) {
      const auto found = object.find(name);
      call += "[";
      if (found != object.end()) {
        call += found->is_string() ? found->get<std::string>() : found->dump();
      }
      call += "]";
    }
    expected.push_back(call);
    line += object.empty() ? 1 : static_cast<std::uint32_t>(object.size() + 2);
  }
  EXPECT_EQ(read_with(read_json, text), expected);
}

// ---------------------------------------------------------------------------------------

TEST(RecordsDispatch, ChoosesByTheFirstCharacter) {
  EXPECT_EQ(read_with(read_records, "\xEF\xBB\xBF \n\t[{\"a\": 1}]"),
            (std::vector<std::string>{"H2 [a]", "R2 [1]"}));
  EXPECT_EQ(read_with(read_records, "\n\n{\"t\": [{\"a\": 1}]}"),
            (std::vector<std::string>{"H3 [a]", "R3 [1]"}));
  EXPECT_EQ(read_with(read_records, "\na\n[1]\n"),
            (std::vector<std::string>{"H2 [a]", "R3 [[1]]"}));
}

}  // namespace
}  // namespace tiendo::store
