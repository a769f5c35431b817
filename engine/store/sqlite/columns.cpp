#include "store/sqlite/columns.hpp"

namespace tiendo::store::sqlite {

namespace {

template <typename Enum, std::size_t N>
std::optional<Enum> parse_enum(std::string_view text, const Enum (&all)[N]) {
  for (Enum e : all) {
    if (column_text(e) == text) return e;
  }
  return std::nullopt;
}

}  // namespace

std::string_view column_text(Subject subject) { return subject == Subject::task ? "task" : "rule"; }

std::string_view column_text(Lifecycle lifecycle) {
  switch (lifecycle) {
    case Lifecycle::pending:
      return "pending";
    case Lifecycle::firing:
      return "firing";
    case Lifecycle::resolved:
      return "resolved";
  }
  return "pending";
}

std::string_view column_text(NotifyKind kind) {
  switch (kind) {
    case NotifyKind::fired:
      return "fired";
    case NotifyKind::changed:
      return "changed";
    case NotifyKind::repeated:
      return "repeated";
    case NotifyKind::resolved:
      return "resolved";
  }
  return "fired";
}

std::optional<Subject> parse_subject(std::string_view text) {
  static constexpr Subject kAll[] = {Subject::rule, Subject::task};
  return parse_enum(text, kAll);
}

std::optional<Lifecycle> parse_lifecycle(std::string_view text) {
  static constexpr Lifecycle kAll[] = {Lifecycle::pending, Lifecycle::firing, Lifecycle::resolved};
  return parse_enum(text, kAll);
}

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

}  // namespace tiendo::store::sqlite
