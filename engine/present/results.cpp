#include "present/results.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "eval/figures.hpp"
#include "present/format.hpp"
#include "present/markup.hpp"
#include "present/reasons.hpp"

namespace tiendo::present {

using eval::Coverage;
using eval::PlanResult;
using eval::Results;
using eval::RuleResult;
using eval::TaskResult;

namespace {

std::string date_text(const std::optional<model::Date>& date, Language language) {
  if (!date) return "-";
  return language == Language::vi ? format_date(*date) : model::to_string(*date);
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

std::string coverage_text(const store::Snapshot& snapshot, const Coverage& coverage,
                          std::size_t max_named, Language language) {
  if (coverage.failing.empty() && coverage.no_data.empty()) return {};
  return fmt::format("{}/{} {}; {}", coverage.counted, coverage.total,
                     language == Language::en ? "units" : "đơn vị",
                     coverage_names(snapshot, coverage, max_named, language));
}

std::string coverage_names(const store::Snapshot& snapshot, const Coverage& coverage,
                           std::size_t max_named, Language language) {
  const bool en = language == Language::en;
  const auto names = [&](const std::vector<store::UnitIndex>& units) {
    std::string list;
    for (std::size_t i = 0; i < units.size() && i < max_named; ++i) {
      const store::SnapshotUnit& u = snapshot.units()[static_cast<std::size_t>(units[i])];
      list += (i ? ", " : "") + (u.name.empty() ? u.id : u.name);
    }
    if (units.size() > max_named) {
      const std::size_t more = units.size() - max_named;
      list +=
          en ? fmt::format(" and {} more units", more) : fmt::format(" và {} đơn vị khác", more);
    }
    return list;
  };
  std::string text;
  if (!coverage.failing.empty()) {
    text += (en ? "failing: " : "chưa đạt: ") + names(coverage.failing);
  }
  if (!coverage.no_data.empty()) {
    text += (text.empty() ? "" : "; ") + std::string(en ? "no data: " : "chưa có số liệu: ") +
            names(coverage.no_data);
  }
  return text;
}

std::string ValueRemarks::joined_notes() const {
  std::string text;
  for (const std::string& note : notes) text += (text.empty() ? "" : "; ") + note;
  return text;
}

ValueRemarks value_remarks(const store::Snapshot& snapshot, const RuleResult& r) {
  ValueRemarks remarks;
  remarks.estimate = r.estimate;
  for (const store::Point* point : r.noted()) {
    if (!point) continue;
    const std::string& note = snapshot.note(*point);
    if (!note.empty() &&
        std::find(remarks.notes.begin(), remarks.notes.end(), note) == remarks.notes.end()) {
      remarks.notes.push_back(note);
    }
  }
  return remarks;
}

std::string format_value(const model::RuleSet& rules, const RuleResult& r, double value,
                         Language language) {
  // The version in force: an amendment may compare another expression.
  const model::Rule& rule = rules.version(r.rule, r.version);
  const model::Condition& c = rules.conditions[static_cast<std::size_t>(rule.condition)];
  const bool percent =
      rules.expressions[static_cast<std::size_t>(c.lhs)].unit == model::ValueUnit::percent;
  if (language == Language::vi) return percent ? format_percent(value) : format_exact_number(value);
  return percent ? eval::percent_text(value) : eval::number_text(value);
}

std::string target_text(const model::RuleSet& rules, const model::Rule& rule,
                        const eval::RuleResult& r, Language language) {
  const auto figure = [&](model::ExprId expr, double value) {
    const auto at = static_cast<std::size_t>(expr);
    const bool percent =
        at < rules.expressions.size() && rules.expressions[at].unit == model::ValueUnit::percent;
    return percent ? format_percent(value, language) : format_number(value, language);
  };
  if (rule.condition < 0 || static_cast<std::size_t>(rule.condition) >= rules.conditions.size()) {
    return rule.condition_text;
  }
  const model::Condition& cond = rules.conditions[static_cast<std::size_t>(rule.condition)];
  if (cond.op == model::Comparator::between) {
    if (r.target && r.upper)
      return figure(cond.rhs, *r.target) + " – " + figure(cond.upper, *r.upper);
  } else if (r.target) {
    return fmt::format("{} {}", comparator_symbol(cond.op), figure(cond.rhs, *r.target));
  }
  return rule.condition_text;
}

std::string to_table(const model::RuleSet& rules, const store::Snapshot& snapshot,
                     const Results& results, const Filter& filter, bool color, Language language) {
  const bool vi = language == Language::vi;
  const ReasonContext context{rules, snapshot, results};
  std::vector<std::vector<std::string>> rows = {
      vi ? std::vector<std::string>{"QUY TẮC", "ĐƠN VỊ", "TRẠNG THÁI", "GIÁ TRỊ", "MỤC TIÊU", "HẠN",
                                    "DỰ BÁO", "LÝ DO"}
         : std::vector<std::string>{"RULE", "UNIT", "STATE", "VALUE", "TARGET", "DEADLINE",
                                    "PROJECTED", "REASON"}};
  std::vector<std::optional<Tone>> tones = {std::nullopt};
  for (const RuleResult& r : results.rules) {
    if (!selected(rules, snapshot, r, filter)) continue;
    const auto number = [&](const std::optional<double>& v) {
      return v ? format_value(rules, r, *v, language) : std::string("-");
    };
    std::string target = number(r.target);
    if (r.upper) target += (vi ? " – " : "..") + number(r.upper);
    rows.push_back({rules.rules[static_cast<std::size_t>(r.rule)].name,
                    r.unit < 0 ? "-" : snapshot.units()[static_cast<std::size_t>(r.unit)].id,
                    vi ? std::string(label(r.state, language)) : std::string(to_string(r.state)),
                    number(r.value), target, date_text(r.deadline, language), number(r.projected),
                    reason_text(context, r, language)});
    tones.push_back(tone(r.state));
  }
  std::string out = table(rows, tones, 2, color);
  if (!filter.rule.empty() || !filter.unit.empty()) return out;

  std::vector<std::vector<std::string>> task_rows = {
      vi ? std::vector<std::string>{"NHIỆM VỤ", "TRẠNG THÁI", "HẠN", "SỚM NHẤT XONG", "CHỦ TRÌ",
                                    "LÝ DO"}
         : std::vector<std::string>{"TASK", "STATE", "DUE", "EARLIEST FINISH", "OWNER", "REASON"}};
  std::vector<std::optional<Tone>> task_tones = {std::nullopt};
  for (const TaskResult& t : results.tasks) {
    const model::Task& task = rules.tasks[static_cast<std::size_t>(t.task)];
    task_rows.push_back(
        {task.name, vi ? std::string(label(t.state, language)) : std::string(to_string(t.state)),
         date_text(t.due, language), date_text(t.earliest_finish, language),
         task.owner.empty() ? "-" : task.owner, reason_text(context, t, language)});
    task_tones.push_back(tone(t.state));
  }
  if (task_rows.size() > 1) out += "\n" + table(task_rows, task_tones, 1, color);
  return out;
}

std::string to_json(const model::RuleSet& rules, const store::Snapshot& snapshot,
                    const Results& results, const Filter& filter, Language language) {
  const ReasonContext context{rules, snapshot, results};
  nlohmann::json out;
  out["at"] = model::to_string(results.at);
  out["language"] = language == Language::vi ? "vi" : "en";
  out["rules"] = nlohmann::json::array();
  std::size_t total = 0;
  for (const RuleResult& r : results.rules) {
    if (!selected(rules, snapshot, r, filter)) continue;
    const std::size_t position = total++;
    if (position < filter.offset || position - filter.offset >= filter.limit) continue;
    const model::Rule& rule = rules.rules[static_cast<std::size_t>(r.rule)];
    nlohmann::json row = {
        {"rule", rule.name},
        {"unit", r.unit < 0
                     ? nlohmann::json()
                     : nlohmann::json(snapshot.units()[static_cast<std::size_t>(r.unit)].id)},
        {"state", to_string(r.state)},
        {"severity", model::to_string(r.severity)},
        {"value", optional_number(r.value)},
        {"target", optional_number(r.target)},
        {"upper", optional_number(r.upper)},
        {"deadline", r.deadline ? nlohmann::json(model::to_string(*r.deadline)) : nlohmann::json()},
        {"projected", optional_number(r.projected)},
        {"rate_needed_per_month", optional_number(r.rate_needed)},
        {"rate_observed_per_month", optional_number(r.rate_observed)},
        {"reason", reason_text(context, r, language)},
        {"why", reason_json(context, r)},
        {"source", fmt::format("{}:{}", rule.source.file, rule.source.line)},
    };
    const ValueRemarks remarks = value_remarks(snapshot, r);
    row["estimate"] = remarks.estimate;
    row["notes"] = remarks.notes;
    // The version that applied: its basis, and for an amended rule which amendment and
    // the target's history.
    const model::Rule& version = rules.version(r.rule, r.version);
    if (!version.basis.empty()) {
      nlohmann::json basis = nlohmann::json::array();
      for (model::Index p : version.basis)
        basis.push_back(rules.plans[static_cast<std::size_t>(p)].name);
      row["basis"] = std::move(basis);
    }
    if (!rule.amendments.empty()) {
      const std::optional<model::Date> from = rules.in_force_from(r.rule, r.version);
      const model::SourceRef& written_at =
          r.version > 0 ? rule.amendments[static_cast<std::size_t>(r.version - 1)].source
                        : rule.source;
      row["version"] = {
          {"index", r.version},
          {"in_force_from", from ? nlohmann::json(model::to_string(*from)) : nlohmann::json()},
          {"condition", version.condition_text},
          {"source", fmt::format("{}:{}", written_at.file, written_at.line)},
      };
      row["history"] = target_history(rules, r.rule, language);
    }
    if (r.coverage()) row["coverage"] = coverage_json(rules, snapshot, *r.coverage());
    if (r.blocking_task != model::kNone) {
      row["blocking_task"] = rules.tasks[static_cast<std::size_t>(r.blocking_task)].name;
      nlohmann::json chain = nlohmann::json::array();
      for (model::Index t : r.chain())
        chain.push_back(rules.tasks[static_cast<std::size_t>(t)].name);
      row["chain"] = chain;
    }
    out["rules"].push_back(std::move(row));
  }
  out["rules_total"] = total;
  // Each `for each` rule summed up over all its units, when any of its rows is selected.
  out["summaries"] = nlohmann::json::array();
  for (std::size_t i = 0; i < rules.rules.size(); ++i) {
    const std::span<const RuleResult> rows =
        eval::results_of(results, static_cast<model::Index>(i));
    if (std::none_of(rows.begin(), rows.end(),
                     [&](const RuleResult& r) { return selected(rules, snapshot, r, filter); })) {
      continue;
    }
    if (auto summary = eval::for_each_summary(rules, rows)) {
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
        {"earliest_finish", t.earliest_finish ? nlohmann::json(model::to_string(*t.earliest_finish))
                                              : nlohmann::json()},
        {"reported", t.reported ? nlohmann::json(model::to_string(*t.reported)) : nlohmann::json()},
        {"note", t.note},
        {"progress", t.progress},
        {"root_cause",
         t.root_cause == model::kNone
             ? nlohmann::json()
             : nlohmann::json(rules.tasks[static_cast<std::size_t>(t.root_cause)].name)},
        {"chain", chain},
        {"reason", reason_text(context, t, language)},
        {"why", reason_json(t)},
    });
  }
  out["plans"] = nlohmann::json::array();
  for (const PlanResult& p : results.plans) {
    out["plans"].push_back(
        {{"plan", rules.plans[static_cast<std::size_t>(p.plan)].name},
         {"code", rules.plans[static_cast<std::size_t>(p.plan)].code},
         {"state", p.state ? nlohmann::json(to_string(*p.state)) : nlohmann::json()}});
  }
  return out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace tiendo::present
