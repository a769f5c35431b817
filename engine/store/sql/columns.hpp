// Inside the store only: how the store's enumerations and dates are written in columns.
// The texts are the ones every release has written (and the schema's CHECKs allow).
#pragma once

#include <optional>
#include <string_view>

#include "model/calendar.hpp"
#include "model/rule_set.hpp"
#include "store/alerts.hpp"
#include "store/database.hpp"
#include "store/sql/statements.hpp"

namespace tiendo::store::sql {

// Subject, Lifecycle and NotifyKind are kept as their to_string texts (store/alerts.hpp).
std::optional<model::Severity> parse_severity(std::string_view text);

// A nullable date column.
std::optional<model::Date> date_or_none(const Statement& s, int column);
// Binds a date, or NULL.
void bind_date(Statement& s, int index, const std::optional<model::Date>& date);

}  // namespace tiendo::store::sql
