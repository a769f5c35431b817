// The language server's plumbing: positions in UTF-16 code units as LSP counts them
// (Vietnamese text, a code point beyond U+FFFF, CR LF, ill-formed bytes), file URIs, and
// the base protocol's framing read from a real pipe, malformed messages included.
#include "lsp/protocol.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <variant>

namespace tiendo::lsp {
namespace {

dsl::SourceFile file_of(std::string text) {
  dsl::SourceSet sources;
  sources.add("x.rules", std::move(text));
  return sources.file(0);
}

TEST(LspPositions, CountUtf16CodeUnitsFromTheLineStart) {
  // "Điện" is 4 code points in 7 bytes; U+1F600 is 4 bytes and two UTF-16 units.
  const std::string text = "levels a\n  title \"Điện 😀 x\"\r\nend";
  const dsl::SourceFile file = file_of(text);
  const auto offset = [&](std::string_view needle) {
    return static_cast<std::uint32_t>(text.find(needle));
  };
  EXPECT_EQ(position_of(file, 0), (Position{0, 0}));
  EXPECT_EQ(position_of(file, offset("a\n")), (Position{0, 7}));
  EXPECT_EQ(position_of(file, offset("Điện")), (Position{1, 9}));
  EXPECT_EQ(position_of(file, offset("😀")), (Position{1, 14}));
  EXPECT_EQ(position_of(file, offset(" x")), (Position{1, 16}));  // 😀 counted twice
  EXPECT_EQ(position_of(file, offset("end")), (Position{2, 0}));
  EXPECT_EQ(position_of(file, static_cast<std::uint32_t>(text.size()) + 10), (Position{2, 3}));
  // And back.
  for (const std::string_view needle : {"a\n", "Điện", "😀", " x", "end"}) {
    EXPECT_EQ(offset_of(file, position_of(file, offset(needle))), offset(needle)) << needle;
    EXPECT_EQ(offset_of(text, position_of(file, offset(needle))), offset(needle)) << needle;
  }
  // Inside the surrogate pair: the code point's start; past a line's end: before its CR LF;
  // past the last line: the end.
  EXPECT_EQ(offset_of(file, {1, 15}), offset("😀"));
  EXPECT_EQ(offset_of(file, {1, 500}), offset("\r\n"));
  EXPECT_EQ(offset_of(text, {1, 500}), offset("\r\n"));
  EXPECT_EQ(offset_of(file, {9, 0}), text.size());
  EXPECT_EQ(offset_of(text, {9, 0}), text.size());
}

TEST(LspPositions, AnIllFormedByteCountsAsOneUnit) {
  const std::string text = "a\xC3\x28x";  // a lone lead byte, then '('
  const dsl::SourceFile file = file_of(text);
  EXPECT_EQ(position_of(file, 3), (Position{0, 3}));
  EXPECT_EQ(offset_of(file, {0, 3}), 3u);
}

TEST(LspUris, PathsAreEncodedAndDecoded) {
  const std::string path = "/srv/tỉnh Đồng Nai/quy tắc #1%.rules";
  const std::string uri = uri_of_path(path);
  EXPECT_EQ(uri.rfind("file:///srv/t%E1%BB%89nh%20%C4%90%E1%BB%93ng%20Nai/", 0), 0u) << uri;
  EXPECT_NE(uri.find("%23"), std::string::npos);
  EXPECT_NE(uri.find("%25"), std::string::npos);
  EXPECT_EQ(path_of_uri(uri), path);
  EXPECT_EQ(path_of_uri("file://localhost/a/b.rules"), "/a/b.rules");
  EXPECT_EQ(path_of_uri("FILE:///a/b%2Erules"), "/a/b.rules");
  EXPECT_EQ(path_of_uri("untitled:Untitled-1"), std::nullopt);
  EXPECT_EQ(path_of_uri("file://server/share/a.rules"), std::nullopt);
  EXPECT_EQ(path_of_uri("file:///a/b%2"), std::nullopt);
  EXPECT_EQ(path_of_uri("file:///a/b%zz"), std::nullopt);
  EXPECT_EQ(path_of_uri("file:///a/b%00c"), std::nullopt);
}

// A reader on a pipe that `input` was written to (and closed).
std::variant<std::vector<std::string>, std::string> read_all(const std::string& input) {
  int fds[2];
  if (::pipe(fds) != 0) return std::string("pipe");
  const bool written =
      ::write(fds[1], input.data(), input.size()) == static_cast<ssize_t>(input.size());
  ::close(fds[1]);
  MessageReader reader(fds[0]);
  std::vector<std::string> messages;
  std::string error;
  try {
    while (auto m = reader.next()) messages.push_back(*m);
  } catch (const ProtocolError& e) {
    error = e.message;
  }
  ::close(fds[0]);
  if (!written) return std::string("write");
  if (!error.empty()) return error;
  return messages;
}

TEST(LspFraming, MessagesAreReadWholeWhateverTheirHeaders) {
  const auto read = read_all(
      "Content-Length: 2\r\n\r\n{}"
      "content-length:  9 \r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n"
      "\"Điện\"");
  ASSERT_TRUE(std::holds_alternative<std::vector<std::string>>(read))
      << std::get<std::string>(read);
  EXPECT_EQ(std::get<0>(read), (std::vector<std::string>{"{}", "\"Điện\""}));
}

TEST(LspFraming, AMalformedMessageIsAnErrorThatSaysWhat) {
  const auto error_of = [](const std::string& input) {
    const auto read = read_all(input);
    return std::holds_alternative<std::string>(read) ? std::get<std::string>(read) : "";
  };
  EXPECT_EQ(error_of("Content-Type: x\r\n\r\n{}"), "a message without a Content-Length header");
  EXPECT_EQ(error_of("Content-Length: -2\r\n\r\n{}"), "Content-Length is not a number ('-2')");
  EXPECT_EQ(error_of("Content-Length: 99999999999\r\n\r\n"),
            "a message of 99999999999 bytes (at most 67108864 are read)");
  EXPECT_EQ(error_of("Content-Length: 10\r\n\r\n{}"),
            "the input ended 2 bytes into a message of 10");
  EXPECT_EQ(error_of("Content-Length: 2\r\n"), "the input ended inside a message's header");
  EXPECT_EQ(error_of("garbage\r\n\r\n"), "a header line without ':' ('garbage')");
  EXPECT_EQ(error_of(std::string(9000, 'x')), "a header of more than 8192 bytes");
}

}  // namespace
}  // namespace tiendo::lsp
