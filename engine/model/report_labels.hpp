// The committee report's grouping and numbering, as rules write it (docs/language.md,
// "Report grouping: `label group` and `label stt`"): a rule's `label group = "…"` names
// the group of the report's target table it is listed under, `label stt = "…"` its row
// number in that group. The checker warns where the report would do something the
// author did not mean (dsl/check/report_labels.cpp); the report lays the rows out
// (report/committee.cpp). Both read the labels with these.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tiendo::model {

inline constexpr std::string_view kGroupLabel = "group";
inline constexpr std::string_view kRowNumberLabel = "stt";
// The group of the rules without a `label group` (or with an empty one); the report
// lists it after every other group.
inline constexpr std::string_view kOtherGroup = "Khác";

// A row number as the report numbers rows: a positive whole number ("3"), or dotted
// ("2.1", "2.1.3"), each part digits without a leading zero. Its parts, compared in
// order: 2.9 comes before 2.10, and 3 before 3.1.
using RowNumber = std::vector<std::uint32_t>;

// The row number `text` writes, or nullopt when it is not one ("II.3", "3a", "0", "",
// "01", "2.", a part over nine digits).
std::optional<RowNumber> parse_row_number(std::string_view text);

// The value of the label called `name`, or nullptr without one.
const std::string* find_label(const std::vector<std::pair<std::string, std::string>>& labels,
                              std::string_view name);

}  // namespace tiendo::model
