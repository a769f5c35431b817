// A result's reason said in a language, from the facts the evaluator keeps.
#include "present/reasons.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "eval/figures.hpp"
#include "present/format.hpp"
#include "present/results.hpp"

namespace tiendo::present {

using eval::Because;
using eval::Gap;
using eval::RuleResult;
using eval::TaskBecause;
using eval::TaskResult;
using eval::TaskState;
using model::Date;
using model::Index;

namespace {

// Names listed per coverage list before "and N more".
constexpr std::size_t kCoverageNamed = 10;

template <typename T>
const T& item(const std::vector<T>& list, Index index) {
  return list[static_cast<std::size_t>(index)];
}

// The words of one reason in the reader's language: the same facts, two ways of writing
// them. English keeps the evaluator's historical wording (logs and tests read it);
// Vietnamese writes figures as the province's documents do.
class Sayer {
 public:
  Sayer(const ReasonContext& context, Language language)
      : c_(context), vi_(language == Language::vi) {}

  std::string date(Date d) const { return vi_ ? format_date(d) : model::to_string(d); }

  std::string duration(const model::Duration& d) const {
    if (!vi_) return model::to_string(d);
    static constexpr std::string_view kUnits[] = {"ngày", "tuần", "tháng", "năm"};
    return fmt::format("{} {}", d.count, kUnits[static_cast<std::size_t>(d.unit)]);
  }

  // A period as the evaluator wrote it (Q3/2022, 9/2022, 2022, or its days) or as the
  // documents do (Quý III/2022, Tháng 9/2022, Năm 2022).
  std::string period(const model::Period& p) const {
    if (vi_) return lower_first(format_period(p, Language::vi));
    const std::chrono::year_month_day first{p.first};
    const int year = static_cast<int>(first.year());
    const unsigned month = static_cast<unsigned>(first.month());
    switch (p.kind) {
      case model::Period::Kind::month:
        return fmt::format("{}/{}", month, year);
      case model::Period::Kind::quarter:
        return fmt::format("Q{}/{}", (month + 2) / 3, year);
      case model::Period::Kind::year:
        return fmt::format("{}", year);
      case model::Period::Kind::day:
        break;
    }
    if (p.first == p.last) return model::to_string(p.last);
    return fmt::format("{}–{}", model::to_string(p.first), model::to_string(p.last));
  }

  // A value of expression `id`: a percent or a number.
  std::string value(double v, model::ExprId id) const {
    const bool percent = item(c_.rules.expressions, id).unit == model::ValueUnit::percent;
    if (vi_) return percent ? format_percent(v) : format_exact_number(v);
    return percent ? eval::percent_text(v) : eval::number_text(v);
  }

  std::string unit(store::UnitIndex u) const {
    if (u < 0) return "?";
    const store::SnapshotUnit& unit = c_.snapshot.units()[static_cast<std::size_t>(u)];
    return vi_ && !unit.name.empty() ? unit.name : unit.id;
  }

  std::string indicator(Index i) const {
    if (i == model::kNone) return "?";
    const model::Indicator& ind = item(c_.rules.indicators, i);
    return vi_ && !ind.title.empty() ? ind.title : ind.name;
  }

  std::string task(Index t) const {
    const model::Task& task = item(c_.rules.tasks, t);
    return vi_ && !task.title.empty() ? "“" + task.title + "”" : task.name;
  }

  std::string scope(model::Scope s) const {
    if (vi_ && s.is_set()) {
      const model::UnitSet& set = item(c_.rules.sets, s.index);
      if (!set.title.empty()) return set.title;
    }
    return c_.rules.scope_name(s);
  }

  // "9.23% now"-style pieces of a rule's requirement.
  struct Requirement {
    std::string now;       // the value, or "no value"
    std::string required;  // ">= 50%", "≥ 50%", "between 65% and 70%"
  };
  Requirement requirement(const RuleResult& r, const model::Condition& cond) const {
    Requirement q;
    q.now =
        r.value ? value(*r.value, cond.lhs) : std::string(vi_ ? "không có giá trị" : "no value");
    const std::string target = r.target ? value(*r.target, cond.rhs) : std::string("?");
    if (cond.op == model::Comparator::between) {
      const std::string upper = r.upper ? value(*r.upper, cond.upper) : std::string("?");
      q.required = vi_ ? fmt::format("trong khoảng {} – {}", target, upper)
                       : fmt::format("between {} and {}", target, upper);
    } else {
      q.required = fmt::format(
          "{} {}", vi_ ? comparator_symbol(cond.op) : model::to_string(cond.op), target);
    }
    return q;
  }

  std::string gap(const Gap& g) const {
    switch (g.kind) {
      case Gap::Kind::no_observation:
        return vi_ ? fmt::format("chưa có số liệu {} tại {}", indicator(g.indicator), unit(g.unit))
                   : fmt::format("no observation of {} at {}", indicator(g.indicator),
                                 unit(g.unit));
      case Gap::Kind::none_inside:
        return vi_ ? fmt::format("không {} nào thuộc {} có số liệu {}", scope(g.level),
                                 unit(g.unit), indicator(g.indicator))
                   : fmt::format("no {} inside {} has an observation of {}", scope(g.level),
                                 unit(g.unit), indicator(g.indicator));
      case Gap::Kind::no_member:
        return vi_ ? fmt::format("không có {} nào thuộc {}", scope(g.level), unit(g.unit))
                   : fmt::format("there is no {} inside {}", scope(g.level), unit(g.unit));
      case Gap::Kind::division_by_zero: {
        std::string divisor;
        if (g.indicator == model::kNone) {
          divisor = vi_ ? "số chia" : "the divisor";
        } else if (g.level.none()) {
          divisor = indicator(g.indicator);
        } else {
          divisor = vi_ ? fmt::format("tổng {} theo {}", indicator(g.indicator), scope(g.level))
                        : fmt::format("sum({}, {})", indicator(g.indicator), scope(g.level));
        }
        return vi_ ? fmt::format("chia cho 0: {} bằng 0 tại {}", divisor, unit(g.unit))
                   : fmt::format("division by zero: {} is 0 at {}", divisor, unit(g.unit));
      }
      case Gap::Kind::nothing_since:
        return vi_ ? "chưa có số liệu kể từ " + date(g.since)
                   : "nothing observed since " + date(g.since);
      case Gap::Kind::none:
        break;
    }
    return vi_ ? "không tính được giá trị" : "the value cannot be computed";
  }

  std::string stale(const eval::Reason& reason) const {
    const model::Indicator& ind = item(c_.rules.indicators, reason.stale_indicator);
    const std::string after = ind.stale_after ? duration(*ind.stale_after) : std::string("?");
    return vi_ ? fmt::format("số liệu {} mới nhất đến {}, cũ hơn {}",
                             indicator(reason.stale_indicator), date(reason.stale_newest), after)
               : fmt::format("the latest {} is from {}, older than {}",
                             indicator(reason.stale_indicator), date(reason.stale_newest), after);
  }

  // How a task the rule needs holds it back, by the task's state, with the chain to its
  // root cause.
  std::string blocking(const RuleResult& r, const model::Rule& rule) const {
    const TaskResult& task = item(c_.results.tasks, r.blocking_task);
    const std::string name = this->task(r.blocking_task);
    std::string why;
    if (task.state == TaskState::overdue && task.due) {
      why = vi_ ? fmt::format("cần nhiệm vụ {}, quá hạn từ {}", name, date(*task.due))
                : fmt::format("needs {}, overdue since {}", name, date(*task.due));
    } else if (task.state == TaskState::blocked) {
      const Index root = task.root_cause == model::kNone ? r.blocking_task : task.root_cause;
      why = vi_ ? fmt::format("cần nhiệm vụ {}, bị chặn bởi {}", name, this->task(root))
                : fmt::format("needs {}, blocked by {}", name, this->task(root));
    } else {
      const std::string earliest = task.earliest_finish ? date(*task.earliest_finish) : "?";
      why = vi_ ? fmt::format("cần nhiệm vụ {}, không thể xong trước {} (sớm nhất {})", name,
                              date(rule.date), earliest)
                : fmt::format("needs {}, which cannot finish before {} (earliest {})", name,
                              date(rule.date), earliest);
    }
    if (!r.chain().empty()) {
      std::string names = name;
      for (Index t : r.chain()) names += " \u2190 " + this->task(t);
      why += (vi_ ? " (chuỗi: " : " (chain: ") + names + ")";
    }
    return why;
  }

  // A set that names units the store lacks, each by id.
  std::string missing_units(const model::Rule& rule) const {
    std::string why;
    for (Index s : rule.sets) {
      const model::UnitSet& set = item(c_.rules.sets, s);
      std::string ids;
      std::size_t count = 0;
      for (const std::string& id : set.units) {
        if (c_.snapshot.find_unit(id) >= 0) continue;
        ids += (ids.empty() ? "'" : ", '") + id + "'";
        ++count;
      }
      if (count == 0) continue;
      why += why.empty() ? "" : "; ";
      why += vi_ ? fmt::format(
                       "tập {} nêu {} đơn vị {} mà kho dữ liệu không có (đơn vị được nạp "
                       "từ tệp danh sách đơn vị)",
                       set.name, count, ids)
                 : fmt::format(
                       "set {} names {} {}, which the store does not have (units come "
                       "from a units input: unit,name,level,parent)",
                       set.name, count == 1 ? "unit" : "units", ids);
    }
    return why;
  }

  std::string no_units(const model::Rule& rule) const {
    if (rule.for_each.none()) {
      return vi_ ? "không có đơn vị nào để đánh giá" : "there are no units to evaluate at";
    }
    if (rule.for_each.is_set()) {
      return vi_ ? fmt::format("tập {} không có đơn vị nào", scope(rule.for_each))
                 : fmt::format("set {} has no units", scope(rule.for_each));
    }
    return vi_ ? fmt::format("không có đơn vị cấp {}", scope(rule.for_each))
               : fmt::format("there are no units of level {}", scope(rule.for_each));
  }

  // "+1.5 points per month needed, +0.3 observed" / "cần tăng 1,5 điểm %/tháng, đang
  // tăng 0,3 điểm %/tháng".
  std::string rates(const RuleResult& r, const model::Condition& cond) const {
    const bool points = item(c_.rules.expressions, cond.lhs).unit == model::ValueUnit::percent;
    if (!vi_) {
      const double scale = points ? 100 : 1;
      return fmt::format("{:+.2g}{} per month needed, {:+.2g} observed", *r.rate_needed * scale,
                         points ? " points" : "", *r.rate_observed * scale);
    }
    const auto change = [&](std::string_view up, std::string_view down, double rate) {
      return std::string(rate >= 0 ? up : down) + " " + format_rate(rate, points);
    };
    return change("cần tăng", "cần giảm", *r.rate_needed) + ", " +
           change("đang tăng", "đang giảm", *r.rate_observed);
  }

  // "; 33/36 commune; failing: a, b; no data: c" as the evaluator wrote it, or the units
  // by name in Vietnamese; empty when nothing fails and nothing lacks data (Vietnamese).
  std::string coverage(const eval::Coverage& cov) const {
    if (vi_) {
      const std::string text = coverage_text(c_.snapshot, cov, kCoverageNamed, Language::vi);
      return text.empty() ? text : "; " + text;
    }
    const auto names = [&](const std::vector<store::UnitIndex>& units) {
      std::string text;
      for (std::size_t i = 0; i < units.size() && i < kCoverageNamed; ++i) {
        text += (i ? ", " : "") + c_.snapshot.units()[static_cast<std::size_t>(units[i])].id;
      }
      if (units.size() > kCoverageNamed) {
        text += fmt::format(" and {} more", units.size() - kCoverageNamed);
      }
      return text;
    };
    std::string text = fmt::format("; {}/{} {}", cov.counted, cov.total, scope(cov.level));
    if (!cov.failing.empty()) text += "; failing: " + names(cov.failing);
    if (!cov.no_data.empty()) text += "; no data: " + names(cov.no_data);
    return text;
  }

  std::string rule_reason(const RuleResult& r, bool with_units) const {
    const model::Rule& rule = c_.rules.version(r.rule, r.version);
    const model::Condition& cond = item(c_.rules.conditions, rule.condition);
    const eval::Reason& why = r.reason;
    const Requirement q = requirement(r, cond);
    const std::string by = rule.timing == model::Timing::none ? std::string() : date(rule.date);
    std::string text;
    switch (why.kind) {
      case Because::none:
        break;
      case Because::holds:
        text = vi_ ? fmt::format("{}, yêu cầu {}", q.now, q.required)
                   : fmt::format("{} {}", q.now, q.required);
        break;
      case Because::no_units:
        return no_units(rule);
      case Because::missing_units:
        return missing_units(rule);
      case Because::gap:
        text = gap(why.gap);
        break;
      case Because::not_yet:
        text = vi_ ? "yêu cầu áp dụng từ " + by : "the requirement applies from " + by;
        break;
      case Because::no_figure:
        text = vi_ ? fmt::format("không có số liệu ({}); yêu cầu {} hạn {}", gap(why.gap),
                                 q.required, by)
                   : fmt::format("no figure at all ({}); required {} by {}", gap(why.gap),
                                 q.required, by);
        break;
      case Because::old_figure:
        text = vi_ ? fmt::format(
                         "chưa có số liệu tại hạn; số liệu gần nhất, {} ({}), không đạt: "
                         "yêu cầu {} hạn {}",
                         q.now, period(why.last), q.required, by)
                   : fmt::format(
                         "no figure for the deadline; the last, {} for {}, fails: "
                         "required {} by {}",
                         q.now, period(why.last), q.required, by);
        break;
      case Because::missed:
        text = vi_ ? fmt::format("{} ngày {}, yêu cầu {} hạn {}", q.now, date(c_.results.at),
                                 q.required, by)
                   : fmt::format("{} on {}, required {} by {}", q.now, date(c_.results.at),
                                 q.required, by);
        break;
      case Because::failed_on: {
        const std::string on = r.failed_on ? date(*r.failed_on) : std::string("?");
        text = vi_ ? fmt::format("không đạt từ ngày {}: hiện {}, yêu cầu {}", on, q.now, q.required)
                   : fmt::format("failed on {}: now {}, required {}", on, q.now, q.required);
        break;
      }
      case Because::fails:
        text = vi_ ? fmt::format("{}, yêu cầu {}", q.now, q.required)
                   : fmt::format("{}, required {}", q.now, q.required);
        break;
      case Because::blocked:
        if (r.blocking_task != model::kNone) text = blocking(r, rule);
        break;
      case Because::stale:
        text = stale(why);
        break;
      case Because::trend:
        text = vi_ ? fmt::format("{} hiện nay, yêu cầu {} hạn {}", q.now, q.required, by)
                   : fmt::format("{} now, {} by {}", q.now, q.required, by);
        if (r.projected) {
          text += (vi_ ? "; dự báo " : "; projected ") + value(*r.projected, cond.lhs);
        }
        if (r.rate_needed && r.rate_observed) text += "; " + rates(r, cond);
        if (why.in_window && rule.warn_within) {
          text += vi_ ? fmt::format("; trong {} cảnh báo trước hạn", duration(*rule.warn_within))
                      : fmt::format("; inside the {} warning window",
                                    model::to_string(*rule.warn_within));
        }
        break;
    }
    // A verdict keeps what could not hide it: stale data, a task that holds it back.
    if (why.kind != Because::stale && why.kind != Because::blocked) {
      if (why.stale && why.stale_indicator != model::kNone) text += "; " + stale(why);
      if (r.blocking_task != model::kNone) text += "; " + blocking(r, rule);
    }
    if (r.coverage() && with_units) text += coverage(*r.coverage());
    return text;
  }

  std::string task_reason(const TaskResult& t) const {
    const model::Task& task = item(c_.rules.tasks, t.task);
    const auto opt = [&](const std::optional<Date>& d) { return d ? date(*d) : std::string("?"); };
    const std::string on = opt(t.reported_on);
    const std::string due = opt(t.due);
    switch (t.reason) {
      case TaskBecause::done:
        return (vi_ ? "hoàn thành ngày " : "done on ") + on;
      case TaskBecause::done_late:
        return vi_ ? fmt::format("hoàn thành ngày {}, hạn {}", on, due)
                   : fmt::format("done on {}, due {}", on, due);
      case TaskBecause::cancelled:
        return (vi_ ? "hủy ngày " : "cancelled on ") + on;
      case TaskBecause::overdue:
        return vi_ ? fmt::format("hạn {}, chưa hoàn thành", due)
                   : fmt::format("due {}, not done", due);
      case TaskBecause::reported_blocked:
        return (vi_ ? "báo bị chặn ngày " : "reported blocked on ") + on;
      case TaskBecause::waits_for: {
        if (t.chain.empty()) break;
        const Index p = t.chain.front();
        const TaskState state = item(c_.results.tasks, p).state;
        return vi_ ? fmt::format("chờ nhiệm vụ {} ({})", this->task(p),
                                 lower_first(label(state, Language::vi)))
                   : fmt::format("waits for {} ({})", this->task(p), eval::to_string(state));
      }
      case TaskBecause::no_report_starts:
        return vi_ ? "chưa báo cáo tình trạng; bắt đầu từ " + opt(t.expected_from)
                   : "no status reported; it starts " + opt(t.expected_from);
      case TaskBecause::no_report_work: {
        const std::string work = task.duration ? duration(*task.duration) : std::string("?");
        return vi_ ? fmt::format(
                         "chưa báo cáo tình trạng; để xong trước hạn {} phải bắt đầu từ {} "
                         "({} thực hiện)",
                         due, opt(t.expected_from), work)
                   : fmt::format(
                         "no status reported; to finish by {} it had to start by {} ({} "
                         "of work)",
                         due, opt(t.expected_from), work);
      }
      case TaskBecause::no_report_due:
        return vi_ ? "chưa báo cáo tình trạng đến hạn " + opt(t.expected_from)
                   : "no status reported by its due date " + opt(t.expected_from);
      case TaskBecause::late:
      case TaskBecause::on_track:
        return vi_ ? fmt::format("sớm nhất xong {}, hạn {}", opt(t.earliest_finish), due)
                   : fmt::format("earliest finish {}, due {}", opt(t.earliest_finish), due);
      case TaskBecause::warn_window: {
        const std::string window =
            task.warn_within ? duration(*task.warn_within) : std::string("?");
        return vi_ ? fmt::format("hạn {}, chưa hoàn thành: trong {} cuối trước hạn", due, window)
                   : fmt::format("due {} and not done: inside the last {} (warn within)", due,
                                 window);
      }
      case TaskBecause::no_due:
        return vi_ ? "không có hạn" : "no due date";
    }
    return {};
  }

 private:
  const ReasonContext& c_;
  bool vi_;
};

}  // namespace

std::string reason_text(const ReasonContext& context, const RuleResult& r, Language language,
                        bool with_units) {
  return Sayer(context, language).rule_reason(r, with_units);
}

std::string reason_text(const ReasonContext& context, const TaskResult& t, Language language) {
  return Sayer(context, language).task_reason(t);
}

std::string gap_text(const ReasonContext& context, const Gap& gap, Language language) {
  return Sayer(context, language).gap(gap);
}

std::string_view to_string(Because kind) {
  switch (kind) {
    case Because::none:
      return "none";
    case Because::holds:
      return "holds";
    case Because::no_units:
      return "no_units";
    case Because::missing_units:
      return "missing_units";
    case Because::gap:
      return "gap";
    case Because::not_yet:
      return "not_yet";
    case Because::no_figure:
      return "no_figure";
    case Because::old_figure:
      return "old_figure";
    case Because::missed:
      return "missed";
    case Because::failed_on:
      return "failed_on";
    case Because::fails:
      return "fails";
    case Because::blocked:
      return "blocked";
    case Because::stale:
      return "stale";
    case Because::trend:
      return "trend";
  }
  return "none";
}

std::string_view to_string(TaskBecause kind) {
  switch (kind) {
    case TaskBecause::done:
      return "done";
    case TaskBecause::done_late:
      return "done_late";
    case TaskBecause::cancelled:
      return "cancelled";
    case TaskBecause::overdue:
      return "overdue";
    case TaskBecause::reported_blocked:
      return "reported_blocked";
    case TaskBecause::waits_for:
      return "waits_for";
    case TaskBecause::no_report_starts:
      return "no_report_starts";
    case TaskBecause::no_report_work:
      return "no_report_work";
    case TaskBecause::no_report_due:
      return "no_report_due";
    case TaskBecause::late:
      return "late";
    case TaskBecause::warn_window:
      return "warn_window";
    case TaskBecause::on_track:
      return "on_track";
    case TaskBecause::no_due:
      return "no_due";
  }
  return "on_track";
}

std::string_view to_string(Gap::Kind kind) {
  switch (kind) {
    case Gap::Kind::none:
      return "none";
    case Gap::Kind::no_observation:
      return "no_observation";
    case Gap::Kind::none_inside:
      return "none_inside";
    case Gap::Kind::no_member:
      return "no_member";
    case Gap::Kind::division_by_zero:
      return "division_by_zero";
    case Gap::Kind::nothing_since:
      return "nothing_since";
  }
  return "none";
}

nlohmann::json reason_json(const ReasonContext& context, const RuleResult& r) {
  const eval::Reason& why = r.reason;
  nlohmann::json out = {{"kind", to_string(why.kind)}};
  if (why.gap.kind != Gap::Kind::none) {
    nlohmann::json gap = {{"kind", to_string(why.gap.kind)}};
    if (why.gap.indicator != model::kNone) {
      gap["indicator"] = item(context.rules.indicators, why.gap.indicator).name;
    }
    if (!why.gap.level.none()) gap["level"] = context.rules.scope_name(why.gap.level);
    if (why.gap.unit >= 0) {
      gap["unit"] = context.snapshot.units()[static_cast<std::size_t>(why.gap.unit)].id;
    }
    if (why.gap.kind == Gap::Kind::nothing_since) gap["since"] = model::to_string(why.gap.since);
    out["gap"] = std::move(gap);
  }
  if (why.stale && why.stale_indicator != model::kNone) {
    out["stale"] = {{"indicator", item(context.rules.indicators, why.stale_indicator).name},
                    {"newest", model::to_string(why.stale_newest)}};
  }
  if (why.kind == Because::old_figure) {
    out["last"] = {{"first", model::to_string(why.last.first)},
                   {"last", model::to_string(why.last.last)}};
  }
  if (why.kind == Because::trend) out["in_window"] = why.in_window;
  if (r.blocking_task != model::kNone) {
    out["blocking_task"] = item(context.rules.tasks, r.blocking_task).name;
    nlohmann::json chain = nlohmann::json::array();
    for (Index t : r.chain()) chain.push_back(item(context.rules.tasks, t).name);
    out["chain"] = std::move(chain);
  }
  return out;
}

nlohmann::json reason_json(const TaskResult& t) { return {{"kind", to_string(t.reason)}}; }

eval::Explain test_explanations(const model::RuleSet& rules, Language language) {
  return {[&rules, language](const store::Snapshot& snapshot, const eval::Results& results,
                             const eval::RuleResult& r) {
            return reason_text({rules, snapshot, results}, r, language);
          },
          [&rules, language](const store::Snapshot& snapshot, const eval::Results& results,
                             const eval::TaskResult& t) {
            return reason_text({rules, snapshot, results}, t, language);
          }};
}

std::string failure_text(const model::RuleSet& rules, const eval::ExpectationOutcome& outcome) {
  const model::TestExpectation& x = *outcome.expectation;
  const bool task = x.task != model::kNone;
  const std::string& subject =
      task ? item(rules.tasks, x.task).name : item(rules.rules, x.rule).name;
  return fmt::format("expect {}{} {}, got {}: {}", x.unit.empty() || task ? "" : x.unit + " ",
                     subject, x.state, outcome.actual, outcome.explanation);
}

}  // namespace tiendo::present
