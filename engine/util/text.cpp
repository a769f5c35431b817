#include "util/text.hpp"

#include <algorithm>
#include <cstdint>

namespace tiendo::util {

namespace {

// Length of the well-formed sequence starting at `pos`, or 0 if ill-formed.
std::size_t sequence_length(std::string_view text, std::size_t pos) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char b0 = byte(pos);
  if (b0 < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    if (b0 == 0xE0) low = 0xA0;   // overlong
    if (b0 == 0xED) high = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    if (b0 == 0xF0) low = 0x90;   // overlong
    if (b0 == 0xF4) high = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (pos + length > text.size()) return 0;
  if (byte(pos + 1) < low || byte(pos + 1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if ((byte(pos + i) & 0xC0) != 0x80) return 0;
  }
  return length;
}

}  // namespace

std::string_view trim(std::string_view text, std::string_view spaces) {
  const std::size_t first = text.find_first_not_of(spaces);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(spaces) - first + 1);
}

std::size_t space_at(std::string_view text, std::size_t pos) {
  static constexpr std::string_view kWideSpaces[] = {
      "\xC2\xA0",      // U+00A0 no-break space
      "\xE2\x80\xAF",  // U+202F narrow no-break space
      "\xE2\x80\x89",  // U+2009 thin space
  };
  if (pos >= text.size()) return 0;
  const char c = text[pos];
  if (c == ' ' || c == '\t' || c == '\r' || c == '\n') return 1;
  for (std::string_view wide : kWideSpaces) {
    if (text.substr(pos).starts_with(wide)) return wide.size();
  }
  return 0;
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t end = 0;
  while (end < text.size()) {
    const std::size_t length = std::max<std::size_t>(sequence_length(text, end), 1);
    if (end + length > max_bytes) break;
    end += length;
  }
  return text.substr(0, end);
}

namespace {

void append_more(std::string& out, std::size_t more) {
  if (more == 0) return;
  out += "\u2026 (";
  out += std::to_string(more);
  out += more == 1 ? " byte more)" : " bytes more)";
}

}  // namespace

std::string cap_utf8(std::string_view text, std::size_t max_bytes) {
  const std::string_view kept = utf8_prefix(text, max_bytes);
  std::string out(kept);
  append_more(out, text.size() - kept.size());
  return out;
}

std::string cap_for_display(std::string_view text, std::size_t max_bytes, std::size_t unread) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(std::min(text.size(), max_bytes) + 32);
  std::string piece;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t length = sequence_length(text, pos);
    piece.clear();
    const auto escape_bytes = [&](std::size_t count) {
      for (std::size_t i = 0; i < count; ++i) {
        const auto byte = static_cast<unsigned char>(text[pos + i]);
        piece += "\\x";
        piece += kHex[byte >> 4];
        piece += kHex[byte & 15];
      }
    };
    if (length == 0) {
      escape_bytes(1);
    } else {
      std::size_t next = pos;
      const char32_t c = decode_utf8(text, next);
      if (c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F)) {
        escape_bytes(length);
      } else if ((c >= 0x2028 && c <= 0x2029) || (c >= 0x202A && c <= 0x202E) ||
                 (c >= 0x2066 && c <= 0x2069)) {
        static constexpr char kUpperHex[] = "0123456789ABCDEF";
        piece += "\\u{";
        for (int shift = 12; shift >= 0; shift -= 4) piece += kUpperHex[(c >> shift) & 15];
        piece += '}';
      } else {
        piece.assign(text.substr(pos, length));
      }
    }
    if (out.size() + piece.size() > max_bytes) break;
    out += piece;
    pos += std::max<std::size_t>(length, 1);
  }
  append_more(out, text.size() - pos + unread);
  return out;
}

std::optional<std::size_t> find_invalid_utf8(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t length = sequence_length(text, pos);
    if (length == 0) return pos;
    pos += length;
  }
  return std::nullopt;
}

char32_t decode_utf8(std::string_view text, std::size_t& pos) {
  const std::size_t length = sequence_length(text, pos);
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[pos + i]); };
  char32_t c = 0;
  switch (length) {
    case 0:
      ++pos;
      return 0xFFFD;
    case 1:
      c = byte(0);
      break;
    case 2:
      c = (char32_t{byte(0)} & 0x1F) << 6 | (byte(1) & 0x3F);
      break;
    case 3:
      c = (char32_t{byte(0)} & 0x0F) << 12 | (char32_t{byte(1)} & 0x3F) << 6 | (byte(2) & 0x3F);
      break;
    default:
      c = (char32_t{byte(0)} & 0x07) << 18 | (char32_t{byte(1)} & 0x3F) << 12 |
          (char32_t{byte(2)} & 0x3F) << 6 | (byte(3) & 0x3F);
      break;
  }
  pos += length;
  return c;
}

std::size_t count_code_points(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t pos = 0; pos < text.size(); ++count) decode_utf8(text, pos);
  return count;
}

bool is_combining_mark(char32_t c) {
  return (c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) ||
         (c >= 0x1DC0 && c <= 0x1DFF) || (c >= 0x20D0 && c <= 0x20FF) ||
         (c >= 0xFE20 && c <= 0xFE2F);
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rolling rows suffice for the transposition case.
  std::vector<std::size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates) {
  const auto lower = [](std::string_view s) {
    std::string out(s);
    for (char& c : out) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
  };
  const std::string word_lower = lower(word);
  const std::size_t limit = std::max<std::size_t>(1, word.size() / 3);
  std::optional<std::string> best;
  std::size_t best_distance = limit + 1;
  for (const auto& candidate : candidates) {
    if (candidate == word) continue;
    // Distance is measured case-insensitively so that `Online_rate` finds `online_rate`.
    const std::size_t distance = edit_distance(word_lower, lower(candidate));
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best;
}

}  // namespace tiendo::util
