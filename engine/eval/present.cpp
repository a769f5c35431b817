#include "eval/present.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/text.hpp"

namespace tiendo::eval {

namespace {

std::string_view colour(RuleState state) {
  switch (state) {
    case RuleState::met:
    case RuleState::ok:
    case RuleState::on_track:
      return "\x1b[32m";
    case RuleState::at_risk:
    case RuleState::stale:
    case RuleState::no_data:
    case RuleState::blocked:
      return "\x1b[33m";
    case RuleState::missed:
    case RuleState::violated:
    case RuleState::error:
      return "\x1b[31m";
    case RuleState::not_yet:
      return "\x1b[2m";
  }
  return "";
}

std::string_view colour(TaskState state) {
  switch (state) {
    case TaskState::done:
    case TaskState::on_track:
      return "\x1b[32m";
    case TaskState::at_risk:
    case TaskState::no_report:
    case TaskState::blocked:
    case TaskState::done_late:
      return "\x1b[33m";
    case TaskState::overdue:
      return "\x1b[31m";
    case TaskState::cancelled:
      return "\x1b[2m";
  }
  return "";
}

std::string pad(const std::string& text, std::size_t width) {
  const std::size_t length = util::count_code_points(text);
  return text + std::string(width > length ? width - length : 0, ' ');
}

// Rows of cells; the cell `colours[row]` (if set) wraps column `coloured_column`.
std::string table(const std::vector<std::vector<std::string>>& rows,
                  const std::vector<std::string_view>& colours, std::size_t coloured_column,
                  bool color) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], util::count_code_points(row[i]));
    }
  }
  std::string out;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::string line;
    for (std::size_t i = 0; i < rows[r].size(); ++i) {
      const bool last = i + 1 == rows[r].size();
      const std::string cell = last ? rows[r][i] : pad(rows[r][i], widths[i]);
      if (color && i == coloured_column && r < colours.size() && !colours[r].empty()) {
        line += std::string(colours[r]) + cell + "\x1b[0m";
      } else {
        line += cell;
      }
      if (!last) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string date_text(const std::optional<model::Date>& date) {
  return date ? model::to_string(*date) : std::string("-");
}

nlohmann::json optional_number(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json();
}

}  // namespace

bool selected(const model::RuleSet& rules, const store::Snapshot& snapshot, const RuleResult& r,
              const Filter& filter) {
  if (!filter.rule.empty() && rules.rules[static_cast<std::size_t>(r.rule)].name != filter.rule) {
    return false;
  }
  if (!filter.unit.empty() &&
      (r.unit < 0 || snapshot.units()[static_cast<std::size_t>(r.unit)].id != filter.unit)) {
    return false;
  }
  if (!filter.state.empty() && to_string(r.state) != filter.state) return false;
  return true;
}

std::string number_text(double value) {
  if (!std::isfinite(value)) return fmt::format("{}", value);
  // Whole numbers below 2^53 are exact in a double: every digit is shown.
  if (std::fabs(value) < 9007199254740992.0 && value == std::nearbyint(value)) {
    return fmt::format("{:.0f}", value == 0 ? 0.0 : value);
  }
  if (std::fabs(value) >= 1e6 || std::fabs(value) < 1e-4) {
    // Six significant digits without an exponent, the trailing zeros dropped.
    const int digits = std::fabs(value) >= 1e6 ? 2 : 10;
    std::string text = fmt::format("{:.{}f}", value, digits);
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
    return text;
  }
  return fmt::format("{:.6g}", value);
}

nlohmann::json coverage_json(const model::RuleSet& rules, const store::Snapshot& snapshot,
                             const Coverage& coverage) {
  const auto named = [&](const std::vector<store::UnitIndex>& units) {
    nlohmann::json list = nlohmann::json::array();
    for (store::UnitIndex u : units) {
      const store::SnapshotUnit& unit = snapshot.units()[static_cast<std::size_t>(u)];
      list.push_back({{"unit", unit.id}, {"name", unit.name}});
    }
    return list;
  };
  nlohmann::json out = {{"level", rules.scope_name(coverage.level)},
          {"counted", coverage.counted},
          {"total", coverage.total},
          {"failing", named(coverage.failing)},
          {"no_data", named(coverage.no_data)}};
  // Counted over a set: "level" names it, and "set" says that it is one.
  if (coverage.level.is_set()) out["set"] = true;
  return out;
}

std::string coverage_text_vi(const store::Snapshot& snapshot, const Coverage& coverage,
                             std::size_t max_named) {
  if (coverage.failing.empty() && coverage.no_data.empty()) return {};
  return fmt::format("{}/{} đơn vị; {}", coverage.counted, coverage.total,
                     coverage_names_vi(snapshot, coverage, max_named));
}

std::string coverage_names_vi(const store::Snapshot& snapshot, const Coverage& coverage,
                              std::size_t max_named) {
  const auto names = [&](const std::vector<store::UnitIndex>& units) {
    std::string list;
    for (std::size_t i = 0; i < units.size() && i < max_named; ++i) {
      const store::SnapshotUnit& u = snapshot.units()[static_cast<std::size_t>(units[i])];
      list += (i ? ", " : "") + (u.name.empty() ? u.id : u.name);
    }
    if (units.size() > max_named) list += fmt::format(" và {} đơn vị khác", units.size() - max_named);
    return list;
  };
  std::string text;
  if (!coverage.failing.empty()) text += "chưa đạt: " + names(coverage.failing);
  if (!coverage.no_data.empty()) {
    text += (text.empty() ? "" : "; ") + std::string("chưa có số liệu: ") + names(coverage.no_data);
  }
  return text;
}

std::optional<Coverage> for_each_summary(const model::RuleSet& rules,
                                         std::span<const RuleResult> rows) {
  if (rows.empty() || rows.front().rule < 0) return std::nullopt;
  const model::Rule& rule = rules.rules[static_cast<std::size_t>(rows.front().rule)];
  if (rule.for_each.none()) return std::nullopt;
  Coverage summary;
  summary.level = rule.for_each;
  for (const RuleResult& r : rows) {
    if (r.unit < 0) continue;
    ++summary.total;
    switch (r.state) {
      case RuleState::met:
      case RuleState::ok:
        ++summary.counted;
        break;
      case RuleState::no_data:
      case RuleState::stale:
        summary.no_data.push_back(r.unit);
        break;
      case RuleState::on_track:
      case RuleState::not_yet:
        break;
      default:
        summary.failing.push_back(r.unit);
    }
  }
  if (summary.total == 0) return std::nullopt;
  return summary;
}

std::string percent_text(double fraction) { return fmt::format("{:.4g}%", fraction * 100); }

std::string format_value(const model::RuleSet& rules, const RuleResult& r, double value) {
  const model::Rule& rule = rules.rules[static_cast<std::size_t>(r.rule)];
  const model::Condition& c = rules.conditions[static_cast<std::size_t>(rule.condition)];
  if (rules.expressions[static_cast<std::size_t>(c.lhs)].unit == model::ValueUnit::percent) {
    return percent_text(value);
  }
  return number_text(value);
}

std::string to_table(const model::RuleSet& rules, const store::Snapshot& snapshot,
                     const Results& results, const Filter& filter, bool color) {
  std::vector<std::vector<std::string>> rows = {
      {"RULE", "UNIT", "STATE", "VALUE", "TARGET", "DEADLINE", "PROJECTED", "REASON"}};
  std::vector<std::string_view> colours = {""};
  for (const RuleResult& r : results.rules) {
    if (!selected(rules, snapshot, r, filter)) continue;
    const auto number = [&](const std::optional<double>& v) {
      return v ? format_value(rules, r, *v) : std::string("-");
    };
    std::string target = number(r.target);
    if (r.upper) target += ".." + number(r.upper);
    rows.push_back({rules.rules[static_cast<std::size_t>(r.rule)].name,
                    r.unit < 0 ? "-" : snapshot.units()[static_cast<std::size_t>(r.unit)].id,
                    std::string(to_string(r.state)), number(r.value), target,
                    date_text(r.deadline), number(r.projected), r.reason});
    colours.push_back(colour(r.state));
  }
  std::string out = table(rows, colours, 2, color);
  if (!filter.rule.empty() || !filter.unit.empty()) return out;

  std::vector<std::vector<std::string>> task_rows = {
      {"TASK", "STATE", "DUE", "EARLIEST FINISH", "OWNER", "REASON"}};
  std::vector<std::string_view> task_colours = {""};
  for (const TaskResult& t : results.tasks) {
    const model::Task& task = rules.tasks[static_cast<std::size_t>(t.task)];
    task_rows.push_back({task.name, std::string(to_string(t.state)), date_text(t.due),
                         date_text(t.earliest_finish), task.owner.empty() ? "-" : task.owner,
                         t.reason});
    task_colours.push_back(colour(t.state));
  }
  if (task_rows.size() > 1) out += "\n" + table(task_rows, task_colours, 1, color);
  return out;
}

std::string to_json(const model::RuleSet& rules, const store::Snapshot& snapshot,
                    const Results& results, const Filter& filter) {
  nlohmann::json out;
  out["at"] = model::to_string(results.at);
  out["rules"] = nlohmann::json::array();
  std::size_t total = 0;
  for (const RuleResult& r : results.rules) {
    if (!selected(rules, snapshot, r, filter)) continue;
    const std::size_t position = total++;
    if (position < filter.offset || position - filter.offset >= filter.limit) continue;
    const model::Rule& rule = rules.rules[static_cast<std::size_t>(r.rule)];
    nlohmann::json row = {
        {"rule", rule.name},
        {"unit", r.unit < 0 ? nlohmann::json() : nlohmann::json(snapshot.units()[static_cast<std::size_t>(r.unit)].id)},
        {"state", to_string(r.state)},
        {"severity", model::to_string(r.severity)},
        {"value", optional_number(r.value)},
        {"target", optional_number(r.target)},
        {"upper", optional_number(r.upper)},
        {"deadline", r.deadline ? nlohmann::json(model::to_string(*r.deadline)) : nlohmann::json()},
        {"projected", optional_number(r.projected)},
        {"rate_needed_per_month", optional_number(r.rate_needed)},
        {"rate_observed_per_month", optional_number(r.rate_observed)},
        {"reason", r.reason},
        {"source", fmt::format("{}:{}", rule.source.file, rule.source.line)},
    };
    if (!rule.basis.empty()) {
      nlohmann::json basis = nlohmann::json::array();
      for (model::Index p : rule.basis) basis.push_back(rules.plans[static_cast<std::size_t>(p)].name);
      row["basis"] = std::move(basis);
    }
    if (r.coverage) row["coverage"] = coverage_json(rules, snapshot, *r.coverage);
    if (r.blocking_task != model::kNone) {
      row["blocking_task"] = rules.tasks[static_cast<std::size_t>(r.blocking_task)].name;
      nlohmann::json chain = nlohmann::json::array();
      for (model::Index t : r.chain) chain.push_back(rules.tasks[static_cast<std::size_t>(t)].name);
      row["chain"] = chain;
    }
    out["rules"].push_back(std::move(row));
  }
  out["rules_total"] = total;
  // Each `for each` rule summed up over all its units, when any of its rows is selected.
  out["summaries"] = nlohmann::json::array();
  for (std::size_t i = 0; i < rules.rules.size(); ++i) {
    const std::span<const RuleResult> rows = results_of(results, static_cast<model::Index>(i));
    if (std::none_of(rows.begin(), rows.end(),
                     [&](const RuleResult& r) { return selected(rules, snapshot, r, filter); })) {
      continue;
    }
    if (auto summary = for_each_summary(rules, rows)) {
      nlohmann::json entry = {{"rule", rules.rules[i].name}};
      entry.update(coverage_json(rules, snapshot, *summary));
      out["summaries"].push_back(std::move(entry));
    }
  }
  out["tasks"] = nlohmann::json::array();
  for (const TaskResult& t : results.tasks) {
    if (!filter.state.empty() && to_string(t.state) != filter.state) continue;
    const model::Task& task = rules.tasks[static_cast<std::size_t>(t.task)];
    nlohmann::json chain = nlohmann::json::array();
    for (model::Index c : t.chain) chain.push_back(rules.tasks[static_cast<std::size_t>(c)].name);
    out["tasks"].push_back({
        {"task", task.name},
        {"state", to_string(t.state)},
        {"due", t.due ? nlohmann::json(model::to_string(*t.due)) : nlohmann::json()},
        {"earliest_finish",
         t.earliest_finish ? nlohmann::json(model::to_string(*t.earliest_finish)) : nlohmann::json()},
        {"reported", t.reported ? nlohmann::json(model::to_string(*t.reported)) : nlohmann::json()},
        {"note", t.note},
        {"progress", t.progress},
        {"root_cause", t.root_cause == model::kNone
                           ? nlohmann::json()
                           : nlohmann::json(rules.tasks[static_cast<std::size_t>(t.root_cause)].name)},
        {"chain", chain},
        {"reason", t.reason},
    });
  }
  out["plans"] = nlohmann::json::array();
  for (const PlanResult& p : results.plans) {
    out["plans"].push_back({{"plan", rules.plans[static_cast<std::size_t>(p.plan)].name},
                            {"code", rules.plans[static_cast<std::size_t>(p.plan)].code},
                            {"state", p.state ? nlohmann::json(to_string(*p.state)) : nlohmann::json()}});
  }
  return out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace tiendo::eval
