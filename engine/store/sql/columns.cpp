#include "store/sql/columns.hpp"

namespace tiendo::store::sql {

std::optional<model::Severity> parse_severity(std::string_view text) {
  for (model::Severity s : {model::Severity::none, model::Severity::info, model::Severity::warning,
                            model::Severity::critical}) {
    if (model::to_string(s) == text) return s;
  }
  return std::nullopt;
}

std::optional<model::Date> date_or_none(const Statement& s, int column) {
  if (s.column_is_null(column)) return std::nullopt;
  return model::parse_iso_date(s.column_text(column));
}

void bind_date(Statement& s, int index, const std::optional<model::Date>& date) {
  if (date) {
    s.bind(index, model::to_string(*date));
  } else {
    s.bind_null(index);
  }
}

}  // namespace tiendo::store::sql
