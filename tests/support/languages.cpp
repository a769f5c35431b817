#include "support/languages.hpp"

#include <cctype>
#include <cstdint>

namespace tiendo::testing {

bool has_vietnamese_letter(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    std::uint32_t code = byte;
    std::size_t length = 1;
    if (byte >= 0xF0) {
      length = 4;
    } else if (byte >= 0xE0) {
      code = byte & 0x0F;
      length = 3;
    } else if (byte >= 0xC0) {
      code = byte & 0x1F;
      length = 2;
    }
    for (std::size_t k = 1; k < length && i + k < text.size(); ++k) {
      code = (code << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    }
    if (length <= 3 && ((code >= 0xC0 && code <= 0x24F && code != 0xD7 && code != 0xF7) ||
                        (code >= 0x1E00 && code <= 0x1EFF))) {
      return true;
    }
    i += length;
  }
  return false;
}

std::vector<std::string> ascii_words(std::string_view text) {
  const auto letter = [&](std::size_t i) {
    return std::isalpha(static_cast<unsigned char>(text[i])) || text[i] == '_';
  };
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!letter(i)) {
      ++i;
      continue;
    }
    const std::size_t start = i;
    while (i < text.size() && letter(i)) ++i;
    const bool before = start > 0 && (static_cast<unsigned char>(text[start - 1]) & 0x80) != 0;
    const bool after = i < text.size() && (static_cast<unsigned char>(text[i]) & 0x80) != 0;
    if (before || after) continue;
    std::string word(text.substr(start, i - start));
    for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    words.push_back(std::move(word));
  }
  return words;
}

}  // namespace tiendo::testing
