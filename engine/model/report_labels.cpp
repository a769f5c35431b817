#include "model/report_labels.hpp"

namespace tiendo::model {

std::optional<RowNumber> parse_row_number(std::string_view text) {
  constexpr std::size_t kMaxDigits = 9;  // every part fits in 32 bits
  RowNumber parts;
  std::size_t pos = 0;
  while (true) {
    const std::size_t begin = pos;
    std::uint32_t part = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      part = part * 10 + static_cast<std::uint32_t>(text[pos] - '0');
      ++pos;
    }
    const std::size_t digits = pos - begin;
    if (digits == 0 || digits > kMaxDigits || text[begin] == '0') return std::nullopt;
    parts.push_back(part);
    if (pos == text.size()) return parts;
    if (text[pos] != '.') return std::nullopt;
    ++pos;
  }
}

const std::string* find_label(const std::vector<std::pair<std::string, std::string>>& labels,
                              std::string_view name) {
  for (const auto& [key, value] : labels) {
    if (key == name) return &value;
  }
  return nullptr;
}

}  // namespace tiendo::model
