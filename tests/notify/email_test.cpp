// Alert e-mail: RFC 2047 header words, the rendered MIME message, and delivery through
// libcurl to a real SMTP server, tests/notify/smtp_sink.py (aiosmtpd), whose saved
// messages are read back by Python's email package (tests/notify/read_emails.py), an
// independent parser.
#include "notify/email.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "../e2e/run.hpp"
#include "support/child_process.hpp"
#include "support/test_certificates.hpp"
#include "util/text.hpp"

namespace tiendo::notify {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using tiendo::testing::ChildProcess;
using tiendo::testing::crlf;
using tiendo::testing::SmtpSink;
using tiendo::testing::SmtpSinkOptions;

constexpr std::string_view kWordStart = "=?UTF-8?B?";
constexpr std::string_view kWordEnd = "?=";

// ---------------------------------------------------------------------------------------
// Text helpers.

std::optional<std::string> base64_decode(std::string_view text) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    std::uint32_t n = 0;
    int padding = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const char c = text[i + k];
      std::uint32_t value = 0;
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        ++padding;
      } else {
        if (padding > 0) return std::nullopt;
        const std::size_t found = kAlphabet.find(c);
        if (found == std::string_view::npos) return std::nullopt;
        value = static_cast<std::uint32_t>(found);
      }
      n = n << 6 | value;
    }
    out += static_cast<char>(n >> 16 & 0xFF);
    if (padding < 2) out += static_cast<char>(n >> 8 & 0xFF);
    if (padding < 1) out += static_cast<char>(n & 0xFF);
  }
  return out;
}

std::vector<std::string> split(std::string_view text, std::string_view separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t at = text.find(separator, start);
    parts.emplace_back(text.substr(start, at - start));
    if (at == std::string_view::npos) return parts;
    start = at + separator.size();
  }
}

std::string code_point(char32_t c) {
  std::string out;
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | c >> 6);
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | c >> 12);
    out += static_cast<char>(0x80 | (c >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | c >> 18);
    out += static_cast<char>(0x80 | (c >> 12 & 0x3F));
    out += static_cast<char>(0x80 | (c >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
  return out;
}

// The encoded words of a header value, checked one by one: each is at most 75
// characters, and its own base64 decodes to well-formed UTF-8 (so no word splits a
// sequence). Returns the concatenated decoded text.
std::string decode_words(const std::string& value, bool well_formed = true) {
  std::string decoded;
  for (const std::string& word : split(value, "\r\n ")) {
    EXPECT_LE(word.size(), 75u) << word;
    EXPECT_TRUE(word.starts_with(kWordStart) && word.ends_with(kWordEnd)) << word;
    if (word.size() < kWordStart.size() + kWordEnd.size()) continue;
    const std::string_view inner = std::string_view(word).substr(
        kWordStart.size(), word.size() - kWordStart.size() - kWordEnd.size());
    const auto bytes = base64_decode(inner);
    EXPECT_TRUE(bytes.has_value()) << word;
    if (!bytes) continue;
    EXPECT_FALSE(bytes->empty()) << word;
    if (well_formed) {
      EXPECT_EQ(util::find_invalid_utf8(*bytes), std::nullopt) << "word " << word;
    }
    decoded += *bytes;
  }
  return decoded;
}

// ---------------------------------------------------------------------------------------
// Random Vietnamese text, NFC (precomposed letters) or NFD (base letter and combining
// marks, built here in canonical order).

constexpr std::string_view kPrecomposed =
    "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
    "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴĐ";
constexpr std::string_view kConsonants = "bcdghklmnpqrstvxBCDGHKLMNPQRSTVX";
constexpr std::string_view kPunctuation = ".,;:!?-()\"'/%&=_<>[]+*#@";

constexpr char32_t kGrave = 0x0300, kAcute = 0x0301, kCircumflex = 0x0302, kTilde = 0x0303,
                   kBreve = 0x0306, kHookAbove = 0x0309, kHorn = 0x031B, kDotBelow = 0x0323;

class VietnameseText {
 public:
  explicit VietnameseText(std::uint32_t seed) : random_(seed) {
    for (std::size_t pos = 0; pos < kPrecomposed.size();) {
      const std::size_t start = pos;
      util::decode_utf8(kPrecomposed, pos);
      precomposed_.emplace_back(kPrecomposed.substr(start, pos - start));
    }
  }

  // One "character" as a reader sees it: 1 to 4 code points.
  std::string unit(bool nfd) {
    const int kind = pick(100);
    if (kind < 18) return " ";
    if (kind < 26) return std::string(1, kPunctuation[pick(kPunctuation.size())]);
    if (kind < 30) return std::string(1, static_cast<char>('0' + pick(10)));
    if (kind < 33) return "=?";  // what would start an encoded word if sent as is
    if (kind < 55) return std::string(1, kConsonants[pick(kConsonants.size())]);
    if (!nfd) return precomposed_[pick(precomposed_.size())];
    return decomposed();
  }

  // Exactly `length` code points.
  std::string text(std::size_t length, bool nfd) {
    std::string out;
    std::size_t count = 0;
    while (count < length) {
      std::string next = unit(nfd);
      const std::size_t n = util::count_code_points(next);
      if (count + n > length) next = std::string(1, kConsonants[pick(kConsonants.size())]);
      count += util::count_code_points(next);
      out += next;
    }
    return out;
  }

  std::size_t pick(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(random_);
  }

 private:
  std::string decomposed() {
    static constexpr std::string_view kVowels = "aeiouyAEIOUY";
    static constexpr std::array<char32_t, 6> kTones = {0,      kGrave,     kAcute,
                                                       kTilde, kHookAbove, kDotBelow};
    const char vowel = kVowels[pick(kVowels.size())];
    if (pick(12) == 0) return code_point(pick(2) ? 0x0111 : 0x0110);  // đ Đ: no decomposition
    char32_t vowel_mark = 0;
    switch (vowel | 0x20) {
      case 'a':
        vowel_mark = std::array<char32_t, 3>{0, kBreve, kCircumflex}[pick(3)];
        break;
      case 'e':
        vowel_mark = pick(2) ? kCircumflex : 0;
        break;
      case 'o':
        vowel_mark = std::array<char32_t, 3>{0, kCircumflex, kHorn}[pick(3)];
        break;
      case 'u':
        vowel_mark = pick(2) ? kHorn : 0;
        break;
      default:
        break;
    }
    const char32_t tone = kTones[pick(kTones.size())];
    // Canonical order by combining class: horn (216), dot below (220), then the
    // class-230 marks in the order they apply.
    std::string out(1, vowel);
    if (vowel_mark == kHorn) out += code_point(kHorn);
    if (tone == kDotBelow) out += code_point(kDotBelow);
    if (vowel_mark != 0 && vowel_mark != kHorn) out += code_point(vowel_mark);
    if (tone != 0 && tone != kDotBelow) out += code_point(tone);
    return out;
  }

  std::mt19937 random_;
  std::vector<std::string> precomposed_;
};

// ---------------------------------------------------------------------------------------
// The SMTP sink and the reader of what it saved.

std::string script(std::string_view name) {
  return std::string(TIENDO_SOURCE_DIR) + "/tests/notify/" + std::string(name);
}

// A sink that refuses RCPT TO for `address`: --reject-rcpt (550) or --defer-rcpt (451).
SmtpSinkOptions answering(const std::string& option, const std::string& address) {
  SmtpSinkOptions options;
  options.extra_args = {option, address};
  return options;
}

// tests/notify/read_emails.py on a directory.
nlohmann::json read_emails(const std::string& directory) {
  ChildProcess child({"/usr/bin/python3", script("read_emails.py"), directory});
  const auto out = child.read_all(60s);
  const int status = child.finish(5s);
  EXPECT_EQ(status, 0);
  if (!out || status != 0) return nlohmann::json::array();
  return nlohmann::json::parse(*out);
}

// A port on 127.0.0.1 that nothing listens on (bound, then closed at once).
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t size = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  ::close(fd);
  return ntohs(address.sin_port);
}

SmtpSettings plain(const std::string& url) {
  SmtpSettings settings;
  settings.url = url;
  settings.require_starttls = false;
  settings.connect_timeout = 5s;
  settings.total_timeout = 15s;
  // Whatever the environment holds, these tests never authenticate.
  settings.username_env = "TIENDO_EMAIL_TEST_NO_SUCH_VARIABLE";
  return settings;
}

EmailMessage sample_message() {
  EmailMessage message;
  message.from = "Tiến độ tỉnh <tiendo@example.org>";
  message.to = {"ubnd@example.org", "so-khdt@example.org"};
  message.subject = "Cảnh báo: chỉ tiêu \"Tỷ lệ hộ nghèo\" có nguy cơ không đạt";
  message.text = "Kính gửi UBND tỉnh,\n.\n. Dòng bắt đầu bằng dấu chấm\nHết.\n";
  message.html = "<p>Kính gửi <b>UBND tỉnh</b></p>\n.<br>\n";
  return message;
}

std::chrono::system_clock::time_point utc(int year, unsigned month, unsigned day, int hour,
                                          int minute, int second) {
  using namespace std::chrono;
  return sys_days{std::chrono::year{year} / std::chrono::month{month} / std::chrono::day{day}} +
         hours{hour} + minutes{minute} + seconds{second};
}

struct Rendered {
  std::vector<std::string> headers;  // unfolded
  std::string boundary;
  std::vector<std::string> parts;  // between delimiters, headers included
};

Rendered dissect(const std::string& message) {
  Rendered out;
  const std::size_t end = message.find("\r\n\r\n");
  EXPECT_NE(end, std::string::npos);
  if (end == std::string::npos) return out;
  std::string unfolded = message.substr(0, end);
  for (std::size_t at; (at = unfolded.find("\r\n ")) != std::string::npos;) {
    unfolded.replace(at, 3, " ");
  }
  out.headers = split(unfolded, "\r\n");
  for (const std::string& header : out.headers) {
    const std::string key = "boundary=\"";
    if (const std::size_t at = header.find(key); at != std::string::npos) {
      out.boundary =
          header.substr(at + key.size(), header.find('"', at + key.size()) - at - key.size());
    }
  }
  EXPECT_FALSE(out.boundary.empty());
  if (out.boundary.empty()) return out;
  auto pieces = split(message.substr(end + 4), "--" + out.boundary);
  EXPECT_EQ(pieces.size(), 4u);  // preamble, two parts, epilogue after the close
  if (pieces.size() == 4) out.parts = {pieces[1], pieces[2]};
  return out;
}

// The decoded body of a rendered part ("\r\nheaders\r\n\r\nbase64\r\n").
std::string part_body(const std::string& part) {
  const std::size_t start = part.find("\r\n\r\n");
  EXPECT_NE(start, std::string::npos);
  std::string encoded;
  for (const std::string& line : split(part.substr(start + 4), "\r\n")) {
    EXPECT_LE(line.size(), 76u);
    encoded += line;
  }
  const auto decoded = base64_decode(encoded);
  EXPECT_TRUE(decoded.has_value());
  return decoded.value_or("");
}

// ---------------------------------------------------------------------------------------
// encode_header_text

TEST(EmailHeaderText, PrintableAsciiIsReturnedAsIs) {
  for (const std::string text :
       {"", "Weekly report: 3 alerts", "a", "  spaced  ", "100% (of 2024) <done>", "= ? ?= =="}) {
    EXPECT_EQ(encode_header_text(text), text);
  }
}

TEST(EmailHeaderText, EncodesNonAsciiControlsAndWordMarkers) {
  for (const std::string text : {"Báo cáo", "a =? b", "tab\there", "line\r\nBcc: x@y", "\x7f"}) {
    const std::string encoded = encode_header_text(text);
    EXPECT_TRUE(encoded.starts_with(kWordStart)) << encoded;
    EXPECT_EQ(decode_words(encoded), text);
  }
  EXPECT_EQ(encode_header_text("Báo cáo"), "=?UTF-8?B?QsOhbyBjw6Fv?=");
}

TEST(EmailHeaderText, WordsAreShortWholeUtf8AndDecodeToTheInput) {
  VietnameseText vietnamese(20240601);
  for (int i = 0; i < 600; ++i) {
    std::string text = vietnamese.text(1 + vietnamese.pick(250), i % 2 == 1);
    // Four-byte sequences too, where a careless split is most likely.
    if (i % 5 == 0) text += code_point(0x1F4E2) + "Thông báo" + code_point(0x1F6A8);
    const std::string encoded = encode_header_text(text);
    if (encoded == text) continue;  // printable ASCII happens for short texts
    EXPECT_EQ(decode_words(encoded), text) << "input " << text;
  }
}

TEST(EmailHeaderText, IllFormedUtf8IsCarriedByteForByte) {
  // Stray bytes travel one by one; the well-formed sequences around them stay whole.
  std::string text;
  for (int i = 0; i < 20; ++i)
    text +=
        "Tiến độ \xE1\xBA"
        "c\xFF\xC3\xA9 ";
  const std::string encoded = encode_header_text(text);
  EXPECT_EQ(decode_words(encoded, /*well_formed=*/false), text);
  std::set<std::size_t> boundaries = {0};
  for (std::size_t pos = 0; pos < text.size(); boundaries.insert(pos)) {
    util::decode_utf8(text, pos);
  }
  std::size_t offset = 0;
  for (const std::string& word : split(encoded, "\r\n ")) {
    offset += decode_words(word, false).size();
    EXPECT_TRUE(boundaries.contains(offset)) << offset;
  }
}

TEST(EmailHeaderText, LongVietnameseSubjectsFold) {
  const std::string subject =
      "Cảnh báo tiến độ: chỉ tiêu \"Tỷ lệ hộ nghèo đa chiều giảm bình quân hằng năm\" của "
      "huyện Điện Biên Đông có nguy cơ không đạt kế hoạch năm 2025 theo Nghị quyết Đại hội";
  const std::string encoded = encode_header_text(subject);
  const auto words = split(encoded, "\r\n ");
  EXPECT_GE(words.size(), 4u);
  EXPECT_EQ(decode_words(encoded), subject);
}

// ---------------------------------------------------------------------------------------
// render_email

TEST(EmailRender, UsesCrlfLineEndsOnly) {
  EmailMessage message = sample_message();
  message.text = "mixed\nline\r\nends\rhere\n";
  const std::string rendered = render_email(message, "<id@example.org>", utc(2025, 1, 7, 8, 9, 10));
  for (std::size_t i = 0; i < rendered.size(); ++i) {
    if (rendered[i] == '\n') {
      ASSERT_TRUE(i > 0 && rendered[i - 1] == '\r') << "bare LF at " << i;
    }
    if (rendered[i] == '\r') {
      ASSERT_TRUE(i + 1 < rendered.size() && rendered[i + 1] == '\n') << "bare CR at " << i;
    }
  }
  EXPECT_TRUE(rendered.ends_with("--\r\n"));
  const Rendered parts = dissect(rendered);
  ASSERT_EQ(parts.parts.size(), 2u);
  // Line breaks in the body become CRLF before encoding: MIME's canonical text form.
  EXPECT_EQ(part_body(parts.parts[0]), "mixed\r\nline\r\nends\r\nhere\r\n");
}

TEST(EmailRender, HasEveryHeader) {
  const EmailMessage message = sample_message();
  const std::string rendered =
      render_email(message, "<abc.1736237350@example.org>", utc(2025, 1, 7, 8, 9, 10));
  const Rendered parts = dissect(rendered);
  const auto has = [&](std::string_view header) {
    return std::find(parts.headers.begin(), parts.headers.end(), header) != parts.headers.end();
  };
  EXPECT_TRUE(has("From: =?UTF-8?B?VGnhur9uIMSR4buZIHThu4luaA==?= <tiendo@example.org>"))
      << rendered;
  EXPECT_TRUE(has("To: ubnd@example.org, so-khdt@example.org")) << rendered;
  EXPECT_TRUE(has("Date: Tue, 07 Jan 2025 08:09:10 +0000")) << rendered;
  EXPECT_TRUE(has("Message-ID: <abc.1736237350@example.org>")) << rendered;
  EXPECT_TRUE(has("MIME-Version: 1.0")) << rendered;
  EXPECT_TRUE(has("Content-Type: multipart/alternative; boundary=\"" + parts.boundary + "\""));
  const auto subject =
      std::find_if(parts.headers.begin(), parts.headers.end(),
                   [](const std::string& h) { return h.starts_with("Subject: "); });
  ASSERT_NE(subject, parts.headers.end());
  // Unfolding turned CRLF SPACE into a space; the words are separated by it.
  std::string words = subject->substr(9);
  for (std::size_t at; (at = words.find("?= =?")) != std::string::npos;) {
    words.replace(at, 5, "?=\r\n =?");
  }
  EXPECT_EQ(decode_words(words), message.subject);
  ASSERT_EQ(parts.parts.size(), 2u);
  EXPECT_NE(parts.parts[0].find("Content-Type: text/plain; charset=UTF-8\r\n"), std::string::npos);
  EXPECT_NE(parts.parts[1].find("Content-Type: text/html; charset=UTF-8\r\n"), std::string::npos);
  for (const std::string& part : parts.parts) {
    EXPECT_NE(part.find("Content-Transfer-Encoding: base64\r\n"), std::string::npos);
  }
  EXPECT_EQ(part_body(parts.parts[0]), crlf(message.text));
  EXPECT_EQ(part_body(parts.parts[1]), crlf(message.html));
}

TEST(EmailRender, MessageIdGetsAngleBrackets) {
  const std::string rendered =
      render_email(sample_message(), "bare.1@example.org", utc(1970, 1, 1, 0, 0, 0));
  EXPECT_NE(rendered.find("\r\nMessage-ID: <bare.1@example.org>\r\n"), std::string::npos);
  EXPECT_NE(rendered.find("\r\nDate: Thu, 01 Jan 1970 00:00:00 +0000\r\n"), std::string::npos);
}

TEST(EmailRender, DatesAreRfc5322Utc) {
  const auto date = [](std::chrono::system_clock::time_point when) {
    const std::string rendered = render_email(sample_message(), "<x@y>", when);
    const std::size_t at = rendered.find("\r\nDate: ");
    return rendered.substr(at + 8, rendered.find("\r\n", at + 2) - at - 8);
  };
  EXPECT_EQ(date(utc(2024, 2, 29, 23, 59, 59)), "Thu, 29 Feb 2024 23:59:59 +0000");
  EXPECT_EQ(date(utc(2025, 12, 1, 0, 0, 0)), "Mon, 01 Dec 2025 00:00:00 +0000");
  // Fractions of a second are dropped, not rounded.
  EXPECT_EQ(date(utc(2025, 6, 15, 12, 30, 5) + std::chrono::milliseconds(999)),
            "Sun, 15 Jun 2025 12:30:05 +0000");
}

TEST(EmailRender, BoundaryDoesNotOccurInsideTheParts) {
  EmailMessage message = sample_message();
  // Bodies that quote the boundary of an earlier rendering still cannot break it,
  // because they are base64 and the boundary starts with "=_".
  const Rendered first = dissect(render_email(message, "<a@b>", utc(2025, 1, 1, 0, 0, 0)));
  message.text += "\n--" + first.boundary + "\n--" + first.boundary + "--\n";
  message.html += "--" + first.boundary;
  const std::string rendered = render_email(message, "<a@b>", utc(2025, 1, 1, 0, 0, 0));
  const Rendered parts = dissect(rendered);
  ASSERT_EQ(parts.parts.size(), 2u);
  EXPECT_TRUE(parts.boundary.starts_with("=_")) << parts.boundary;
  EXPECT_LE(parts.boundary.size(), 70u);
  for (const std::string& part : parts.parts) {
    EXPECT_EQ(part.find(parts.boundary), std::string::npos);
  }
  EXPECT_EQ(part_body(parts.parts[0]), crlf(message.text));
  // The delimiters, each at the start of a line, and nothing else.
  EXPECT_EQ(split(rendered, "\r\n--" + parts.boundary).size(), 4u);
  EXPECT_TRUE(rendered.ends_with("\r\n--" + parts.boundary + "--\r\n"));
}

TEST(EmailRender, EveryLineIsAtMost78Characters) {
  VietnameseText vietnamese(7);
  for (int i = 0; i < 200; ++i) {
    EmailMessage message;
    message.from =
        vietnamese.text(1 + vietnamese.pick(120), i % 2 == 1) + " <canh-bao@example.org>";
    for (std::size_t k = 0; k < 1 + vietnamese.pick(12); ++k) {
      message.to.push_back("nguoi-nhan-" + std::to_string(k) + "@so-ke-hoach-dau-tu.example.org");
    }
    message.subject = i % 3 == 0 ? std::string(40 + vietnamese.pick(80), 'x')
                                 : vietnamese.text(1 + vietnamese.pick(200), i % 2 == 1);
    message.text = vietnamese.text(vietnamese.pick(2000), i % 2 == 1);
    message.html = "<p>" + vietnamese.text(vietnamese.pick(2000), i % 2 == 0) + "</p>";
    const std::string rendered = render_email(
        message, make_message_id(message, utc(2025, 3, 1, 7, 0, 0)), utc(2025, 3, 1, 7, 0, 0));
    for (const std::string& line : split(rendered, "\r\n")) {
      ASSERT_LE(line.size(), 78u) << "line: " << line << "\nsubject: " << message.subject;
    }
    const Rendered parts = dissect(rendered);
    ASSERT_EQ(parts.parts.size(), 2u);
    EXPECT_EQ(part_body(parts.parts[0]), crlf(message.text));
    EXPECT_EQ(part_body(parts.parts[1]), crlf(message.html));
  }
}

TEST(EmailRender, NoFieldCanAddAHeaderLine) {
  EmailMessage message = sample_message();
  message.from = "Evil\r\nBcc: victim@example.net <a@example.org>";
  message.to = {"b@example.org\r\nBcc: victim@example.net"};
  message.subject = "hello\r\nBcc: victim@example.net";
  const std::string rendered = render_email(message, "<a\r\nBcc: x@y>", utc(2025, 1, 1, 0, 0, 0));
  EXPECT_EQ(rendered.find("\r\nBcc:"), std::string::npos) << rendered;
}

TEST(EmailMessageId, IsUniqueAndNamesTheSenderDomain) {
  const auto now = utc(2025, 1, 7, 8, 9, 10);
  const std::string seconds = std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = make_message_id(sample_message(), now);
    ASSERT_TRUE(seen.insert(id).second) << id;
    ASSERT_EQ(id.size(), 1 + 32 + 1 + seconds.size() + 1 + 11 + 1) << id;
    EXPECT_TRUE(id.starts_with("<") && id.ends_with("." + seconds + "@example.org>")) << id;
    EXPECT_TRUE(std::all_of(id.begin() + 1, id.begin() + 33, [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    })) << id;
  }
  EmailMessage anonymous;
  anonymous.from = "tiendo";
  EXPECT_TRUE(make_message_id(anonymous, now).ends_with("@tiendo.invalid>"));
}

// ---------------------------------------------------------------------------------------
// send_email against the aiosmtpd sink

TEST(SmtpSend, VietnameseMessagesRoundTripThroughARealServer) {
  SmtpSink sink;
  ASSERT_GT(sink.port(), 0) << "smtp_sink.py did not report its port";
  const SmtpSettings settings = plain(sink.url());
  VietnameseText vietnamese(1975);
  std::vector<EmailMessage> sent;
  std::vector<std::string> ids;
  const auto now = std::chrono::system_clock::now();
  for (int i = 0; i < 200; ++i) {
    const bool nfd = i % 2 == 1;
    EmailMessage message;
    message.from = "Tiến độ tỉnh <tiendo@example.org>";
    message.to = {"ubnd@example.org"};
    message.subject = vietnamese.text(1 + vietnamese.pick(200), nfd);
    // A line that starts with a dot, and one that is only a dot. The bodies are base64
    // on the wire, so this checks the whole path, not SMTP dot-stuffing (see below).
    message.text = vietnamese.text(1 + vietnamese.pick(300), nfd) + "\n. " +
                   vietnamese.text(1 + vietnamese.pick(60), nfd) + "\n.\n" +
                   vietnamese.text(vietnamese.pick(300), nfd) + (i % 3 == 0 ? "\n" : "");
    message.html = "<!DOCTYPE html>\n<html><body><p>" + vietnamese.text(vietnamese.pick(400), nfd) +
                   "</p>\n.<br>" + vietnamese.text(vietnamese.pick(40), nfd) + "\n</body></html>";
    ids.push_back(make_message_id(message, now));
    const std::string rendered = render_email(message, ids.back(), now);
    const SmtpResult result = send_email(settings, message, rendered);
    ASSERT_EQ(result.outcome, Outcome::delivered) << i << ": " << result.error;
    EXPECT_EQ(result.reply_code, 250);
    EXPECT_EQ(result.error, "");
    sent.push_back(std::move(message));
  }
  // A message is saved before the server answers 250, so all 200 are there now.
  const nlohmann::json received = read_emails(sink.directory());
  EXPECT_EQ(sink.stop(), 0);
  ASSERT_EQ(received.size(), sent.size());
  std::set<std::string> distinct;
  for (std::size_t i = 0; i < sent.size(); ++i) {
    const nlohmann::json& got = received[i];
    SCOPED_TRACE("message " + std::to_string(i) + " (" + got.value("file", "") + ")");
    EXPECT_EQ(got["content_type"], "multipart/alternative");
    EXPECT_EQ(got["defects"], nlohmann::json::array());
    // Exact equality, NFC stays NFC and NFD stays NFD. Python's email package adds no
    // trailing newline to a base64 part; the only difference from what was put into
    // EmailMessage is the one render_email documents: line breaks arrive as CRLF, the
    // canonical form of MIME text.
    EXPECT_EQ(got["subject"], sent[i].subject);
    EXPECT_EQ(got["text"], crlf(sent[i].text));
    EXPECT_EQ(got["html"], crlf(sent[i].html));
    EXPECT_EQ(got["message_id"], ids[i]);
    EXPECT_EQ(got["from"], sent[i].from);
    EXPECT_EQ(got["to"], "ubnd@example.org");
    distinct.insert(got.value("message_id", ""));
  }
  EXPECT_EQ(distinct.size(), sent.size());
}

// libcurl dot-stuffs the DATA it sends (lib/smtp.c, curl's tests 803 and 901): a line
// that starts with "." goes out as "..", so a lone "." cannot end the message early.
TEST(SmtpSend, LibcurlDotStuffsLinesThatStartWithADot) {
  SmtpSink sink;
  ASSERT_GT(sink.port(), 0);
  EmailMessage message;
  message.from = "tiendo@example.org";
  message.to = {"ubnd@example.org"};
  const std::string raw =
      ".first line of the headers is odd but legal for the envelope\r\n"
      "Subject: dots\r\n\r\n.\r\n..\r\n.leading\r\nmiddle . dot\r\n.\r\nQUIT\r\nlast\r\n";
  const SmtpResult result = send_email(plain(sink.url()), message, raw);
  ASSERT_EQ(result.outcome, Outcome::delivered) << result.error;
  const auto files = sink.files();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(tiendo::testing::read_text(files[0]), raw);
}

TEST(SmtpSend, RequiredStarttlsOnAPlainServerIsRetryAndSendsNothing) {
  SmtpSink sink;
  ASSERT_GT(sink.port(), 0);
  SmtpSettings settings = plain(sink.url());
  settings.require_starttls = true;
  const EmailMessage message = sample_message();
  const SmtpResult result =
      send_email(settings, message, render_email(message, "<a@b>", utc(2025, 1, 1, 0, 0, 0)));
  EXPECT_EQ(result.outcome, Outcome::retry);
  EXPECT_NE(result.error.find("does not offer STARTTLS"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("nothing was sent in plain text"), std::string::npos);
  EXPECT_EQ(sink.stop(), 0);
  EXPECT_TRUE(sink.files().empty());
}

// Success over TLS: a server that offers STARTTLS, and requires it, with a certificate
// that chains to the authority in ca_file (made by openssl for this test, not in the
// system's store). The message arrives whole, and the server saw it inside TLS. With only
// the system's authorities, or another one, the same server is refused before anything
// is sent: ca_file trusts, it never switches verification off.
TEST(SmtpSend, StarttlsToAServerWhoseCertificateTheCaFileVouchesFor) {
  const testing::TestCa certificates;
  ASSERT_TRUE(certificates.made()) << certificates.error();
  SmtpSinkOptions options;
  options.extra_args = {"--tls-cert", certificates->certificate, "--tls-key", certificates->key};
  SmtpSink sink(options);
  ASSERT_GT(sink.port(), 0);
  SmtpSettings settings = plain(sink.url());
  settings.require_starttls = true;
  const EmailMessage message = sample_message();
  const std::string rendered = render_email(message, "<tls@b>", utc(2025, 1, 1, 0, 0, 0));

  for (const std::string& trusted : {std::string(), certificates->other_ca}) {
    SCOPED_TRACE(trusted.empty() ? "the system's authorities" : "another authority");
    settings.ca_file = trusted;
    const SmtpResult refused = send_email(settings, message, rendered);
    EXPECT_EQ(refused.outcome, Outcome::retry);
    EXPECT_NE(refused.error.find("certificate"), std::string::npos) << refused.error;
  }
  EXPECT_TRUE(sink.files().empty());

  settings.ca_file = certificates->ca;
  const SmtpResult result = send_email(settings, message, rendered);
  EXPECT_EQ(result.outcome, Outcome::delivered) << result.error;
  EXPECT_EQ(result.reply_code, 250);
  EXPECT_EQ(sink.stop(), 0);
  const auto files = sink.files();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(tiendo::testing::read_text(files[0]), rendered);
  const std::string tls_log = tiendo::testing::read_text(sink.directory() + "/.tls-log");
  EXPECT_EQ(tls_log, "000001.eml TLSv1.3\n");
}

TEST(SmtpSend, RejectedRecipientIsReject) {
  SmtpSink sink(answering("--reject-rcpt", "khong-ton-tai@example.org"));
  ASSERT_GT(sink.port(), 0);
  EmailMessage message = sample_message();
  message.to = {"ubnd@example.org", "khong-ton-tai@example.org"};
  const SmtpResult result = send_email(plain(sink.url()), message,
                                       render_email(message, "<a@b>", utc(2025, 1, 1, 0, 0, 0)));
  EXPECT_EQ(result.outcome, Outcome::reject);
  EXPECT_EQ(result.reply_code, 550);
  EXPECT_NE(result.error.find("550"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("recipient rejected"), std::string::npos) << result.error;
  EXPECT_EQ(result.error.find('\n'), std::string::npos);
  EXPECT_EQ(sink.stop(), 0);
  EXPECT_TRUE(sink.files().empty());
}

TEST(SmtpSend, TemporaryFailureIsRetry) {
  SmtpSink sink(answering("--defer-rcpt", "ubnd@example.org"));
  ASSERT_GT(sink.port(), 0);
  const EmailMessage message = sample_message();
  const SmtpResult result = send_email(plain(sink.url()), message,
                                       render_email(message, "<a@b>", utc(2025, 1, 1, 0, 0, 0)));
  EXPECT_EQ(result.outcome, Outcome::retry);
  EXPECT_EQ(result.reply_code, 451);
  EXPECT_NE(result.error.find("try again later"), std::string::npos) << result.error;
}

TEST(SmtpSend, RefusedConnectionIsRetry) {
  const EmailMessage message = sample_message();
  const SmtpResult result =
      send_email(plain("smtp://127.0.0.1:" + std::to_string(closed_port())), message,
                 render_email(message, "<a@b>", utc(2025, 1, 1, 0, 0, 0)));
  EXPECT_EQ(result.outcome, Outcome::retry);
  EXPECT_EQ(result.reply_code, 0);
  EXPECT_FALSE(result.error.empty());
}

TEST(SmtpSend, SilentServerTimesOutAsRetry) {
  // Listening but never accepting: the kernel completes the connection, no greeting
  // ever comes.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t size = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  SmtpSettings settings = plain("smtp://127.0.0.1:" + std::to_string(ntohs(address.sin_port)));
  settings.total_timeout = 300ms;
  const EmailMessage message = sample_message();
  const auto start = Clock::now();
  const SmtpResult result =
      send_email(settings, message, render_email(message, "<a@b>", utc(2025, 1, 1, 0, 0, 0)));
  ::close(fd);
  EXPECT_EQ(result.outcome, Outcome::retry);
  EXPECT_LT(Clock::now() - start, 10s);
  // libcurl words it "Operation timed out ..." or, when the greeting never came,
  // "server response timeout", depending on where the deadline fell.
  EXPECT_TRUE(result.error.find("timed out") != std::string::npos ||
              result.error.find("timeout") != std::string::npos)
      << result.error;
}

TEST(SmtpSend, BadUrlOrMessageIsReject) {
  const EmailMessage message = sample_message();
  const std::string rendered = render_email(message, "<a@b>", utc(2025, 1, 1, 0, 0, 0));
  for (const std::string url :
       {"http://127.0.0.1:25", "smtp://", "smtp://[::1", "", "127.0.0.1:25"}) {
    const SmtpResult result = send_email(plain(url), message, rendered);
    EXPECT_EQ(result.outcome, Outcome::reject) << url << ": " << result.error;
    EXPECT_FALSE(result.error.empty()) << url;
  }
  EmailMessage nobody = message;
  nobody.to.clear();
  EXPECT_EQ(send_email(plain("smtp://127.0.0.1:25"), nobody, rendered).outcome, Outcome::reject);
  EmailMessage no_sender = message;
  no_sender.from = "Tiến độ <>";
  EXPECT_EQ(send_email(plain("smtp://127.0.0.1:25"), no_sender, rendered).outcome, Outcome::reject);
}

TEST(SmtpSend, ErrorsNeverContainThePassword) {
  const std::string user_variable = "TIENDO_EMAIL_TEST_USER_" + std::to_string(::getpid());
  const std::string password_variable = "TIENDO_EMAIL_TEST_PASSWORD_" + std::to_string(::getpid());
  ::setenv(user_variable.c_str(), "alice", 1);
  ::setenv(password_variable.c_str(), "m4t-kh4u-bi-m4t", 1);
  SmtpSettings settings = plain("smtp://bob:url-s3cret@127.0.0.1:" + std::to_string(closed_port()));
  settings.username_env = user_variable;
  settings.password_env = password_variable;
  const EmailMessage message = sample_message();
  const SmtpResult result =
      send_email(settings, message, render_email(message, "<a@b>", utc(2025, 1, 1, 0, 0, 0)));
  ::unsetenv(user_variable.c_str());
  ::unsetenv(password_variable.c_str());
  EXPECT_EQ(result.outcome, Outcome::retry);
  EXPECT_EQ(result.error.find("m4t-kh4u-bi-m4t"), std::string::npos) << result.error;
  EXPECT_EQ(result.error.find("url-s3cret"), std::string::npos) << result.error;
}

// ---------------------------------------------------------------------------------------
// SMTP AUTH against a server that requires it (smtp_sink.py --auth, issue #13)

constexpr const char* kAuthUser = "bcd-cds";
constexpr const char* kAuthPassword = "Mat-khau-DUNG-7391";
constexpr const char* kWrongPassword = "Sai-mat-khau-4410";

SmtpSinkOptions requiring_auth() {
  SmtpSinkOptions options;
  options.extra_args = {"--auth", std::string(kAuthUser) + ":" + kAuthPassword};
  return options;
}

// What the sink recorded of each AUTH and under which user each message came.
std::string auth_log(const SmtpSink& sink) {
  const std::string path = sink.directory() + "/.auth-log";
  return std::filesystem::exists(path) ? tiendo::testing::read_text(path) : std::string();
}

// A user and password in environment variables of this process's own, for as long as
// the object lives.
class Credentials {
 public:
  Credentials(const std::string& user, const std::string& password)
      : user_variable_("TIENDO_EMAIL_TEST_AUTH_USER_" + std::to_string(::getpid())),
        password_variable_("TIENDO_EMAIL_TEST_AUTH_PASSWORD_" + std::to_string(::getpid())) {
    ::setenv(user_variable_.c_str(), user.c_str(), 1);
    ::setenv(password_variable_.c_str(), password.c_str(), 1);
  }
  ~Credentials() {
    ::unsetenv(user_variable_.c_str());
    ::unsetenv(password_variable_.c_str());
  }
  Credentials(const Credentials&) = delete;
  Credentials& operator=(const Credentials&) = delete;

  SmtpSettings settings(const std::string& url) const {
    SmtpSettings settings = plain(url);
    settings.username_env = user_variable_;
    settings.password_env = password_variable_;
    return settings;
  }
  const std::string& user_variable() const { return user_variable_; }

 private:
  std::string user_variable_, password_variable_;
};

SmtpResult send_sample(const SmtpSettings& settings) {
  const EmailMessage message = sample_message();
  return send_email(settings, message, render_email(message, "<a@b>", utc(2025, 1, 1, 0, 0, 0)));
}

TEST(SmtpAuth, TheRightPasswordDeliversAsThatUser) {
  SmtpSink sink(requiring_auth());
  ASSERT_GT(sink.port(), 0);
  const Credentials credentials(kAuthUser, kAuthPassword);
  const SmtpResult result = send_sample(credentials.settings(sink.url()));
  EXPECT_EQ(result.outcome, Outcome::delivered) << result.error;
  EXPECT_EQ(result.reply_code, 250);
  EXPECT_EQ(result.error, "");
  EXPECT_EQ(sink.stop(), 0);
  EXPECT_EQ(sink.files().size(), 1u);
  EXPECT_EQ(auth_log(sink), "accepted bcd-cds\n000001.eml bcd-cds\n");
}

TEST(SmtpAuth, AWrongPasswordIsAClearRefusalThatNeverShowsIt) {
  SmtpSink sink(requiring_auth());
  ASSERT_GT(sink.port(), 0);
  const Credentials credentials(kAuthUser, kWrongPassword);
  const SmtpResult result = send_sample(credentials.settings(sink.url()));
  // 535 is a permanent refusal: the outbox keeps the message as a dead letter (see
  // RunSmtp.AuthFailuresKeepTheMessageAndNeverShowThePassword).
  EXPECT_EQ(result.outcome, Outcome::reject) << result.error;
  EXPECT_EQ(result.reply_code, 535);
  EXPECT_NE(result.error.find("refused the login"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find(credentials.user_variable()), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("535 5.7.8"), std::string::npos) << result.error;
  EXPECT_EQ(result.error.find(kWrongPassword), std::string::npos) << result.error;
  EXPECT_EQ(result.error.find(kAuthPassword), std::string::npos) << result.error;
  EXPECT_EQ(sink.stop(), 0);
  EXPECT_TRUE(sink.files().empty());
  EXPECT_EQ(auth_log(sink), "refused bcd-cds\n");
}

TEST(SmtpAuth, WithoutCredentialsTheErrorSaysWhatToSet) {
  SmtpSink sink(requiring_auth());
  ASSERT_GT(sink.port(), 0);
  const SmtpSettings settings = plain(sink.url());
  const SmtpResult result = send_sample(settings);
  EXPECT_EQ(result.outcome, Outcome::reject) << result.error;
  EXPECT_EQ(result.reply_code, 530);
  EXPECT_NE(result.error.find("530"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find(settings.username_env), std::string::npos) << result.error;
  EXPECT_NE(result.error.find(settings.password_env), std::string::npos) << result.error;
  EXPECT_EQ(sink.stop(), 0);
  EXPECT_TRUE(sink.files().empty());
}

TEST(SmtpAuth, CredentialsInTheUrlAreUsedAndNeverShown) {
  SmtpSink sink(requiring_auth());
  ASSERT_GT(sink.port(), 0);
  const std::string authority = "127.0.0.1:" + std::to_string(sink.port());
  const SmtpResult right = send_sample(
      plain("smtp://" + std::string(kAuthUser) + ":" + kAuthPassword + "@" + authority));
  EXPECT_EQ(right.outcome, Outcome::delivered) << right.error;
  const SmtpResult wrong = send_sample(
      plain("smtp://" + std::string(kAuthUser) + ":" + kWrongPassword + "@" + authority));
  EXPECT_EQ(wrong.outcome, Outcome::reject) << wrong.error;
  EXPECT_EQ(wrong.reply_code, 535);
  EXPECT_NE(wrong.error.find("refused the login"), std::string::npos) << wrong.error;
  EXPECT_NE(wrong.error.find("SMTP URL"), std::string::npos) << wrong.error;
  EXPECT_EQ(wrong.error.find(kWrongPassword), std::string::npos) << wrong.error;
  EXPECT_EQ(sink.stop(), 0);
  EXPECT_EQ(sink.files().size(), 1u);
  EXPECT_EQ(auth_log(sink), "accepted bcd-cds\n000001.eml bcd-cds\nrefused bcd-cds\n");
}

}  // namespace
}  // namespace tiendo::notify
