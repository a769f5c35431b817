// Blocks: indicators, sets, plans, tasks and channels filled from their sorted clauses
// (rules have rule.cpp).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "dsl/check/context.hpp"
#include "util/text.hpp"

namespace tiendo::dsl::checking {

namespace {

// ---------------------------------------------------------------------------------------
// Sets.

// A set by ids: each unit once.
void fill_set_units(Context& c, const ast::Block& block, const ast::Clause& units,
                    const ast::Clause* label, model::UnitSet& out) {
  if (label) {
    c.error(Code::invalid_value, *label,
            fmt::format("`label` selects units of a level; set '{}' names its units by id",
                        block.name.text));
  }
  std::set<std::string> seen;
  for (const ast::Name& name : *names_of(units)) {
    if (!seen.insert(name.text).second) {
      c.error(Code::duplicate_clause, name,
              fmt::format("unit '{}' is named twice in set '{}'", name.text, block.name.text));
      continue;
    }
    out.units.push_back(name.text);
  }
}

// A set by level, optionally narrowed to the units with a label.
void fill_set_level(Context& c, const ast::Clause& level, const ast::Clause* label,
                    model::UnitSet& out) {
  out.level = resolve(c, names_of(level)->front(), "level");
  if (label) {
    out.label = strings_of(*label)->front().value;
    if (out.label.empty() || out.label.find(';') != std::string::npos) {
      c.error(Code::invalid_value, *label,
              "a label is a non-empty word without ';' (units.csv separates a unit's labels "
              "with ';')");
    }
  }
}

// A set names its units by id or by level, never both.
void fill_set(Context& c, const ast::Block& block, const Clauses& clauses, model::UnitSet& out) {
  out.title = string_clause(clauses, "title");
  const ast::Clause* units = first(clauses, "units");
  const ast::Clause* level = first(clauses, "level");
  const ast::Clause* label = first(clauses, "label");
  if (units && level) {
    Diagnostic& d = c.error(Code::invalid_value, *level,
                            fmt::format("set '{}' names its units by id and by level; give "
                                        "`units` or `level`, not both",
                                        block.name.text));
    Context::note(d, Context::at(*units), "the units are named here");
    return;
  }
  if (!units && !level) {
    c.error(Code::invalid_value, block.name,
            fmt::format("set '{}' has no members: give `units a, b, c` (unit ids) or `level L` "
                        "with an optional `label \"x\"`",
                        block.name.text));
    return;
  }
  if (units) {
    fill_set_units(c, block, *units, label, out);
    return;
  }
  fill_set_level(c, *level, label, out);
}

// ---------------------------------------------------------------------------------------
// Indicators.

std::string range_text(const ast::NumberLit& low, const ast::NumberLit& high) {
  return fmt::format("{}{} .. {}{}", low.text, low.percent ? "%" : "", high.text,
                     high.percent ? "%" : "");
}

// One end of a range, in the indicator's unit and within what ingest takes for it.
std::optional<double> range_bound(Context& c, const ast::NumberLit& bound,
                                  const model::Indicator& indicator) {
  const auto value = number_value(c, bound);
  if (!value) return std::nullopt;
  if (indicator.unit == ValueUnit::percent && !bound.percent) {
    c.error(Code::unit_mismatch, bound,
            fmt::format("'{}' is a percent indicator; write {}% (a percent literal is the "
                        "fraction: 50% is 0.5)",
                        indicator.name, bound.text));
    return std::nullopt;
  }
  if (indicator.unit != ValueUnit::percent && bound.percent) {
    c.error(Code::unit_mismatch, bound,
            fmt::format("'{}' is {}, not a percent; write {}", indicator.name,
                        unit_phrase(indicator.unit), bound.text));
    return std::nullopt;
  }
  if (indicator.unit == ValueUnit::percent && std::abs(*value) > kMaxPercentBound) {
    c.error(Code::invalid_value, bound,
            fmt::format("{}% is beyond {}1000%, which ingest takes for a typo", bound.text,
                        *value < 0 ? "-" : ""));
    return std::nullopt;
  }
  if (indicator.unit == ValueUnit::count && *value < 0) {
    c.error(Code::invalid_value, bound,
            "a count is never negative, so its range starts at 0 or above; an indicator that "
            "can fall below 0 is `unit number`");
    return std::nullopt;
  }
  if (indicator.unit == ValueUnit::count && *value != std::floor(*value)) {
    c.error(Code::invalid_value, bound,
            fmt::format("{} is not a whole number, and a count's values are", bound.text));
    return std::nullopt;
  }
  return value;
}

// `range LOW .. HIGH` for `indicator`, whose unit is known; nullopt after an error.
std::optional<model::ValueRange> range_of(Context& c, const ast::Range& range,
                                          const model::Indicator& indicator) {
  const auto low = range_bound(c, range.low, indicator);
  const auto high = range_bound(c, range.high, indicator);
  if (!low || !high) return std::nullopt;
  if (*low > *high) {
    c.error(Code::invalid_value, range,
            fmt::format("the range {} is empty: its low end is above its high end; write "
                        "range {}",
                        range_text(range.low, range.high), range_text(range.high, range.low)));
    return std::nullopt;
  }
  return model::ValueRange{*low, *high};
}

// The indicator's `unit` clause; false when it is missing or unknown (reported).
bool read_indicator_unit(Context& c, const ast::Block& block, const Clauses& clauses,
                         model::Indicator& out) {
  const ast::Clause* unit = first(clauses, "unit");
  if (!unit) {
    c.error(Code::missing_clause, block.name,
            fmt::format("indicator '{}' has no unit; add `unit percent`, `unit count` or "
                        "`unit number`",
                        block.name.text));
    return false;
  }
  const ast::Name& name = names_of(*unit)->front();
  if (name.text == "percent") {
    out.unit = ValueUnit::percent;
  } else if (name.text == "count") {
    out.unit = ValueUnit::count;
  } else if (name.text == "number") {
    out.unit = ValueUnit::number;
  } else {
    c.error(Code::invalid_value, name,
            fmt::format("unknown unit '{}'; an indicator's unit is percent, count or number",
                        name.text));
    return false;
  }
  return true;
}

void fill_indicator(Context& c, const ast::Block& block, const Clauses& clauses,
                    model::Indicator& out) {
  out.title = string_clause(clauses, "title");
  out.owner = string_clause(clauses, "owner");
  out.labels = labels_of(clauses);
  const bool unit_known = read_indicator_unit(c, block, clauses, out);
  if (const ast::Clause* stale = first(clauses, "stale after")) {
    out.stale_after = duration_of(c, *stale);
  }
  // Without a valid unit the bounds cannot be judged, and that is already an error.
  const ast::Clause* range = first(clauses, "range");
  if (range && unit_known) {
    const auto& written = boost::get<ast::Range>(range->value.get());
    if (auto values = range_of(c, written, out)) {
      out.declared_range = model::DeclaredRange{*values, range_text(written.low, written.high),
                                                c.source_ref(*range)};
    }
  }
}

// ---------------------------------------------------------------------------------------
// Plans and tasks.

void fill_plan(Context& c, const Clauses& clauses, model::Plan& out) {
  out.title = string_clause(clauses, "title");
  out.code = string_clause(clauses, "code");
  out.owner = string_clause(clauses, "owner");
  out.labels = labels_of(clauses);
  if (const ast::Clause* issued = first(clauses, "issued")) out.issued = last_day(c, *issued);
  if (const ast::Clause* implements = first(clauses, "implements")) {
    for (const ast::Name& name : *names_of(*implements)) {
      const Index plan = resolve(c, name, "plan");
      if (plan != kNone) out.implements.push_back(plan);
    }
  }
}

// `starts` and `due`, with a warning when the start is after the deadline.
void read_task_dates(Context& c, const Clauses& clauses, model::Task& out) {
  if (const ast::Clause* due = first(clauses, "due")) out.due = last_day(c, *due);
  const ast::Clause* starts = first(clauses, "starts");
  if (starts) out.starts = first_day(c, *starts);
  if (starts && out.starts && out.due && *out.starts > *out.due) {
    c.diagnostics.warning(
        Code::starts_after_due, Context::at(*starts),
        fmt::format("task '{}' starts on {}, after it is due ({}); one of "
                    "the dates is probably wrong",
                    out.name, model::to_string(*out.starts), model::to_string(*out.due)));
  }
}

void fill_task(Context& c, const Clauses& clauses, model::Task& out) {
  out.title = string_clause(clauses, "title");
  out.owner = string_clause(clauses, "owner");
  out.labels = labels_of(clauses);
  if (const ast::Clause* part_of = first(clauses, "part_of")) {
    out.part_of = resolve(c, names_of(*part_of)->front(), "plan");
  }
  read_task_dates(c, clauses, out);
  if (const ast::Clause* duration = first(clauses, "duration")) {
    out.duration = duration_of(c, *duration);
  }
  if (const ast::Clause* warn = first(clauses, "warn within")) {
    out.warn_within = duration_of(c, *warn);
    if (!first(clauses, "due")) {
      c.diagnostics.warning(Code::unused_clause, Context::at(*warn),
                            "`warn within` has no effect: the task has no `due` date");
    }
  }
  if (const ast::Clause* after = first(clauses, "after")) {
    for (const ast::Name& name : *names_of(*after)) {
      const Index task = resolve(c, name, "task");
      if (task != kNone) {
        out.after.push_back(task);
        c.after_names[&out].push_back(&name);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Channels.

bool valid_email(std::string_view address) {
  const auto at_sign = address.find('@');
  if (at_sign == std::string_view::npos || at_sign == 0 || at_sign + 1 >= address.size()) {
    return false;
  }
  if (address.find('@', at_sign + 1) != std::string_view::npos) return false;
  if (address.substr(at_sign + 1).find('.') == std::string_view::npos) return false;
  return std::none_of(address.begin(), address.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '<' || c == '>' || c == ',' || c == '\n';
  });
}

bool valid_url(std::string_view url) {
  const std::string_view rest = url.starts_with("http://")    ? url.substr(7)
                                : url.starts_with("https://") ? url.substr(8)
                                                              : std::string_view{};
  return !rest.empty() && rest.front() != '/' && std::none_of(url.begin(), url.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '"';
  });
}

bool valid_env_name(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// The one destination: an email list, a webhook or an Alertmanager.
void read_destination(Context& c, const ast::Block& block, const Clauses& clauses,
                      model::Channel& out) {
  const ast::Clause* email = first(clauses, "email");
  const ast::Clause* webhook = first(clauses, "webhook");
  const ast::Clause* alertmanager = first(clauses, "alertmanager");
  const int kinds = (email ? 1 : 0) + (webhook ? 1 : 0) + (alertmanager ? 1 : 0);
  if (kinds == 0) {
    c.error(Code::missing_clause, block.name,
            fmt::format("channel '{}' has no destination; add `email \"...\"`, `webhook "
                        "\"URL\"` or `alertmanager \"URL\"`",
                        block.name.text));
  } else if (kinds > 1) {
    c.error(Code::invalid_value, block.name,
            fmt::format("channel '{}' has more than one destination kind; declare one channel "
                        "per email list, webhook or Alertmanager",
                        block.name.text));
  }
  if (email) {
    out.kind = model::Channel::Kind::email;
    for (const ast::StringLit& address : *strings_of(*email)) {
      if (!valid_email(address.value)) {
        c.error(Code::invalid_value, address,
                fmt::format("'{}' is not an email address", address.value));
      }
      out.emails.push_back(address.value);
    }
  }
  for (const ast::Clause* url_clause : {webhook, alertmanager}) {
    if (!url_clause) continue;
    const ast::StringLit& url = strings_of(*url_clause)->front();
    if (!valid_url(url.value)) {
      c.error(Code::invalid_value, url,
              fmt::format("'{}' is not an http:// or https:// URL", url.value));
    }
    out.url = url.value;
    out.kind =
        url_clause == webhook ? model::Channel::Kind::webhook : model::Channel::Kind::alertmanager;
  }
}

// `secret env` and `format`, which only a webhook takes, and `send_resolved`.
void read_channel_options(Context& c, const Clauses& clauses, model::Channel& out) {
  const bool webhook = first(clauses, "webhook") != nullptr;
  if (const ast::Clause* secret = first(clauses, "secret env")) {
    const ast::StringLit& name = strings_of(*secret)->front();
    if (!webhook) {
      c.error(Code::invalid_value, *secret, "`secret env` applies only to a webhook channel");
    } else if (!valid_env_name(name.value)) {
      c.error(Code::invalid_value, name,
              fmt::format("'{}' is not an environment variable name (letters, digits and _)",
                          name.value));
    }
    out.secret_env = name.value;
  }
  if (const ast::Clause* format = first(clauses, "format")) {
    const ast::Name& name = names_of(*format)->front();
    if (!webhook) {
      c.error(Code::invalid_value, *format, "`format` applies only to a webhook channel");
    } else if (name.text == "native") {
      out.format = model::Channel::Format::native;
    } else if (name.text == "alertmanager") {
      out.format = model::Channel::Format::alertmanager;
    } else {
      c.error(Code::invalid_value, name,
              fmt::format("unknown format '{}'; use native or alertmanager", name.text));
    }
  }
  if (const ast::Clause* send_resolved = first(clauses, "send_resolved")) {
    const ast::Name& name = names_of(*send_resolved)->front();
    if (name.text == "true" || name.text == "false") {
      out.send_resolved = name.text == "true";
    } else {
      c.error(Code::invalid_value, name,
              fmt::format("send_resolved is true or false, not '{}'", name.text));
    }
  }
  if (const ast::Clause* language = first(clauses, "language")) {
    const ast::Name& name = names_of(*language)->front();
    if (name.text == "vi" || name.text == "en") {
      out.language = name.text == "en" ? model::Language::en : model::Language::vi;
    } else {
      std::string message = fmt::format("unknown language '{}'; use vi or en", name.text);
      if (auto suggestion = util::closest_match(name.text, {"vi", "en"})) {
        message = fmt::format("unknown language '{}'; did you mean '{}'? (vi or en)", name.text,
                              *suggestion);
      }
      c.error(Code::invalid_value, name, std::move(message));
    }
  }
}

void fill_channel(Context& c, const ast::Block& block, const Clauses& clauses,
                  model::Channel& out) {
  read_destination(c, block, clauses, out);
  read_channel_options(c, clauses, out);
}

}  // namespace

void fill_block(Context& c, const ast::Block& block, Index index) {
  const Clauses clauses = sort_clauses(c, block);
  model::RuleSet& rules = c.rules;
  if (block.kind == "indicator") fill_indicator(c, block, clauses, rules.indicators[index]);
  if (block.kind == "plan") fill_plan(c, clauses, rules.plans[index]);
  if (block.kind == "task") fill_task(c, clauses, rules.tasks[index]);
  if (block.kind == "channel") fill_channel(c, block, clauses, rules.channels[index]);
  if (block.kind == "rule") fill_rule(c, block, clauses, rules.rules[index]);
  if (block.kind == "set") fill_set(c, block, clauses, rules.sets[index]);
}

}  // namespace tiendo::dsl::checking
