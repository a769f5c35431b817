// Inside the store only: how the store's enumerations and dates are written in columns.
// The texts are the ones every release has written (and the schema's CHECKs allow).
#pragma once

#include <optional>
#include <string_view>

#include "model/calendar.hpp"
#include "model/rule_set.hpp"
#include "store/alerts.hpp"
#include "store/database.hpp"
#include "store/sqlite/statements.hpp"

namespace tiendo::store::sqlite {

std::string_view column_text(Subject subject);
std::string_view column_text(Lifecycle lifecycle);
std::string_view column_text(NotifyKind kind);
std::optional<Subject> parse_subject(std::string_view text);
std::optional<Lifecycle> parse_lifecycle(std::string_view text);
std::optional<model::Severity> parse_severity(std::string_view text);

// A nullable date column.
std::optional<model::Date> date_or_none(const Statement& s, int column);
// Binds a date, or NULL.
void bind_date(Statement& s, int index, const std::optional<model::Date>& date);

}  // namespace tiendo::store::sqlite
