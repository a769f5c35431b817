// Inside the store only: the kinds of input `tiendo ingest` takes, told apart by their
// header, and the checks every field of every kind gets (store/ingest.cpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "model/rule_set.hpp"
#include "store/values.hpp"

namespace tiendo::store::ingest_layout {

enum class Kind { units, observations, statuses };

struct KindSpec {
  Kind kind;
  std::vector<std::string> required;
  std::vector<std::string> optional;
};
const std::vector<KindSpec>& kind_specs();

// `text` without spaces and tabs at either end (and a CR at the end).
std::string_view trim(std::string_view text);

// Which kind a header names, and where each column is; columns[i] is the header
// position of the spec's i-th column (required then optional), -1 when absent.
struct Layout {
  Kind kind = Kind::units;
  std::vector<int> columns;
  std::vector<std::string_view> names;  // the spec's column names, in the same order
};

// Only a note may run over several lines.
bool may_hold_line_breaks(std::string_view column);
// A field's first control character, described for its row; nullopt when it has none
// that is refused (see ingest_layout.cpp).
std::optional<std::string> control_character(std::string_view column, std::string_view text);
// `text` with its control characters shown as escapes, for an error message.
std::string printable(std::string_view text);
// The layout a header names, or what is wrong with it.
std::variant<Layout, std::string> layout_of(const std::vector<std::string>& header);

// A unit's `labels` field ("bien_gioi; thi_diem") as stored: sorted, ';'-separated, no
// repeats. An empty label between separators is an error (in `why`).
std::optional<std::string> stored_labels(std::string_view text, std::string& why);

// "online_dossier_rate: '-84,1%' is outside 0% .. 100%, ..." with what to do about it.
std::string outside_range(const model::Indicator& indicator, std::string_view written,
                          const ParsedValue& value);

// An observation's `estimate` field: true for `true`, `1`, `có`; false for `false`, `0`,
// `không` (any letter case; `co` and `khong` without accents too); nullopt when empty;
// otherwise what is wrong with it, naming the field.
std::variant<std::optional<bool>, std::string> estimate_flag(std::string_view text);

}  // namespace tiendo::store::ingest_layout
