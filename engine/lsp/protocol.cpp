#include "lsp/protocol.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "util/text.hpp"

namespace tiendo::lsp {

namespace {

constexpr std::size_t kMaxHeaderBytes = 8192;

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The Content-Length of a message's header block (without its blank line).
std::size_t content_length(std::string_view headers) {
  std::optional<std::size_t> length;
  while (!headers.empty()) {
    const std::size_t end = headers.find("\r\n");
    const std::string_view line = headers.substr(0, end);
    headers.remove_prefix(end == std::string_view::npos ? headers.size() : end + 2);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      throw ProtocolError{
          fmt::format("a header line without ':' ('{}')", util::cap_utf8(line, 80))};
    }
    if (!same_name(trimmed(line.substr(0, colon)), "Content-Length")) continue;
    const std::string_view value = trimmed(line.substr(colon + 1));
    std::size_t n = 0;
    if (value.empty() || value.size() > 12 ||
        !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      throw ProtocolError{
          fmt::format("Content-Length is not a number ('{}')", util::cap_utf8(value, 40))};
    }
    for (const char c : value) n = n * 10 + static_cast<std::size_t>(c - '0');
    if (n > kMaxMessageBytes) {
      throw ProtocolError{
          fmt::format("a message of {} bytes (at most {} are read)", n, kMaxMessageBytes)};
    }
    length = n;
  }
  if (!length) throw ProtocolError{"a message without a Content-Length header"};
  return *length;
}

// UTF-16 code units of the code points of `text` from `pos` until `end` or until
// `limit` units; `pos` ends at the first byte not counted.
std::uint32_t count_units(std::string_view text, std::size_t& pos, std::size_t end,
                          std::uint32_t limit) {
  std::uint32_t units = 0;
  while (pos < end && units < limit) {
    std::size_t next = pos;
    const char32_t c = util::decode_utf8(text, next);
    const std::uint32_t width = c > 0xFFFF ? 2 : 1;
    if (units + width > limit) break;  // inside a surrogate pair: its code point's start
    units += width;
    pos = std::min(next, end);
  }
  return units;
}

std::uint32_t offset_in_line(std::string_view text, std::size_t start, std::uint32_t character) {
  std::size_t end = text.find('\n', start);
  if (end == std::string_view::npos) end = text.size();
  if (end > start && text[end - 1] == '\r') --end;
  std::size_t pos = start;
  count_units(text, pos, end, character);
  return static_cast<std::uint32_t>(pos);
}

}  // namespace

bool MessageReader::fill() {
  char chunk[65536];
  for (;;) {
    const ssize_t n = ::read(fd_, chunk, sizeof chunk);
    if (n > 0) {
      if (start_ > 0 && start_ >= buffer_.size() / 2) {
        buffer_.erase(0, start_);
        start_ = 0;
      }
      buffer_.append(chunk, static_cast<std::size_t>(n));
      return true;
    }
    if (n == 0) return false;
    if (errno != EINTR) throw ProtocolError{fmt::format("cannot read: {}", std::strerror(errno))};
  }
}

std::optional<std::string> MessageReader::next() {
  std::size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n", start_)) == std::string::npos) {
    if (buffer_.size() - start_ > kMaxHeaderBytes) {
      throw ProtocolError{fmt::format("a header of more than {} bytes", kMaxHeaderBytes)};
    }
    if (!fill()) {
      const bool blank = std::all_of(buffer_.begin() + static_cast<std::ptrdiff_t>(start_),
                                     buffer_.end(), [](char c) { return c == '\r' || c == '\n'; });
      if (blank) return std::nullopt;
      throw ProtocolError{"the input ended inside a message's header"};
    }
  }
  const std::size_t length =
      content_length(std::string_view(buffer_).substr(start_, header_end - start_));
  const std::size_t body = header_end + 4;
  while (buffer_.size() - body < length) {
    if (!fill()) {
      throw ProtocolError{fmt::format("the input ended {} bytes into a message of {}",
                                      buffer_.size() - body, length)};
    }
  }
  std::string message = buffer_.substr(body, length);
  start_ = body + length;
  if (start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
  }
  return message;
}

bool MessageReader::pending() {
  if (start_ < buffer_.size()) return true;
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & POLLIN) != 0;
}

bool write_message(int fd, std::string_view body) {
  const std::string out = fmt::format("Content-Length: {}\r\n\r\n{}", body.size(), body);
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::write(fd, out.data() + done, out.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && errno != EINTR) {
      return false;
    }
  }
  return true;
}

Position position_of(const dsl::SourceFile& file, std::uint32_t offset) {
  offset = std::min<std::uint32_t>(offset, static_cast<std::uint32_t>(file.text.size()));
  const auto it = std::upper_bound(file.line_starts.begin(), file.line_starts.end(), offset);
  const auto line = static_cast<std::uint32_t>(it - file.line_starts.begin()) - 1;
  std::size_t pos = file.line_starts[line];
  const std::uint32_t units = count_units(file.text, pos, offset, UINT32_MAX);
  return {line, units};
}

std::uint32_t offset_of(const dsl::SourceFile& file, Position position) {
  if (position.line >= file.line_starts.size()) {
    return static_cast<std::uint32_t>(file.text.size());
  }
  return offset_in_line(file.text, file.line_starts[position.line], position.character);
}

std::uint32_t offset_of(std::string_view text, Position position) {
  std::size_t start = 0;
  for (std::uint32_t line = 0; line < position.line; ++line) {
    const std::size_t newline = text.find('\n', start);
    if (newline == std::string_view::npos) return static_cast<std::uint32_t>(text.size());
    start = newline + 1;
  }
  return offset_in_line(text, start, position.character);
}

std::string uri_of_path(std::string_view absolute_path) {
  std::string uri = "file://";
  for (const char c : absolute_path) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '-' ||
        u == '.' || u == '_' || u == '~' || u == '/') {
      uri.push_back(c);
    } else {
      uri += fmt::format("%{:02X}", u);
    }
  }
  return uri;
}

std::optional<std::string> path_of_uri(std::string_view uri) {
  constexpr std::string_view kScheme = "file://";
  if (uri.size() < kScheme.size() || !same_name(uri.substr(0, kScheme.size()), kScheme)) {
    return std::nullopt;
  }
  uri.remove_prefix(kScheme.size());
  if (uri.starts_with("localhost/")) uri.remove_prefix(9);
  if (!uri.starts_with('/')) return std::nullopt;  // another host's file
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string path;
  for (std::size_t i = 0; i < uri.size(); ++i) {
    if (uri[i] == '?' || uri[i] == '#') break;
    if (uri[i] != '%') {
      path.push_back(uri[i]);
      continue;
    }
    if (i + 2 >= uri.size()) return std::nullopt;
    const int high = hex(uri[i + 1]);
    const int low = hex(uri[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    path.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  if (path.find('\0') != std::string::npos) return std::nullopt;
  return path;
}

namespace {

std::uint32_t word_end(std::string_view text, std::uint32_t offset) {
  const auto part = [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '/' || c == '.' || c == '%' || c >= 0x80;
  };
  std::size_t end = offset;
  while (end < text.size() && part(static_cast<unsigned char>(text[end]))) ++end;
  if (end == offset && end < text.size() && text[end] != '\n' && text[end] != '\r') ++end;
  return static_cast<std::uint32_t>(end);
}

}  // namespace

Range diagnostic_range(const dsl::SourceFile& file, std::uint32_t offset) {
  return {position_of(file, offset), position_of(file, word_end(file.text, offset))};
}

std::string suggested_name(std::string_view message) {
  constexpr std::string_view kHint = "did you mean '";
  const std::size_t hint = message.find(kHint);
  if (hint == std::string_view::npos) return {};
  const std::size_t from = hint + kHint.size();
  const std::size_t to = message.find('\'', from);
  return to == std::string_view::npos ? std::string()
                                      : std::string(message.substr(from, to - from));
}

}  // namespace tiendo::lsp
