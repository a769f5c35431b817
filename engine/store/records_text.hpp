// What the CSV and JSON readers share (records_csv.cpp, records_json.cpp; records.hpp is
// their API): the BOMs, and "no position".
#pragma once

#include <cstddef>
#include <limits>
#include <string_view>

namespace tiendo::store::records_detail {

inline constexpr std::string_view kBom = "\xEF\xBB\xBF";
inline constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();

inline bool starts_with_utf16_bom(std::string_view text) {
  return text.size() >= 2 &&
         ((text[0] == '\xFF' && text[1] == '\xFE') || (text[0] == '\xFE' && text[1] == '\xFF'));
}

inline std::string_view skip_bom(std::string_view text) {
  if (text.starts_with(kBom)) text.remove_prefix(kBom.size());
  return text;
}

}  // namespace tiendo::store::records_detail
