// `tiendo explain RULE [--unit U] [--at DATE]`: why a rule is in its state — its
// source, every observation used, the value, the trend and projection, the comparison,
// and for `blocked` the chain of tasks with their dates.
#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_support.hpp"
#include "commands.hpp"
#include "eval/evaluate.hpp"
#include "eval/figures.hpp"
#include "model/periods.hpp"
#include "present/chart.hpp"
#include "present/format.hpp"
#include "present/markup.hpp"
#include "present/reasons.hpp"
#include "present/results.hpp"
#include "store/snapshot.hpp"
#include "util/text.hpp"

namespace tiendo::cli {

namespace {

struct ExplainOptions {
  std::string db;
  std::vector<std::string> rules;
  std::string rule;
  std::string unit;
  std::optional<std::string> at;  // unset: today; set, even to "", it must be a date
  std::string time_zone = "Asia/Ho_Chi_Minh";
  std::string format = "text";
  std::optional<std::string> known_at;
  std::string lang = "en";
};

// The words of the explanation in the reader's language: English (the default, as logs
// and scripts read it) or Vietnamese, with dates, figures and periods as documents write
// them.
class Words {
 public:
  explicit Words(model::Language language) : vi_(language == model::Language::vi) {}
  model::Language language() const { return vi_ ? model::Language::vi : model::Language::en; }
  bool vi() const { return vi_; }
  std::string_view operator()(std::string_view en, std::string_view vi) const {
    return vi_ ? vi : en;
  }
  std::string date(model::Date d) const {
    return vi_ ? present::format_date(d) : model::to_string(d);
  }
  std::string date(const std::optional<model::Date>& d) const { return d ? date(*d) : "-"; }
  std::string period(const store::Point& p) const {
    if (vi_) return present::format_period(model::period_of_days(p.start(), p.end()));
    return model::to_string(p.start()) + ".." + model::to_string(p.end());
  }
  std::string number(double v) const {
    return vi_ ? present::format_exact_number(v) : eval::number_text(v);
  }
  std::string percent(double v) const {
    return vi_ ? present::format_percent(v) : eval::percent_text(v);
  }

 private:
  bool vi_;
};

using Json = nlohmann::json;

Json optional_number(const std::optional<double>& v) { return v ? Json(*v) : Json(); }
Json optional_date(const std::optional<model::Date>& d) {
  return d ? Json(model::to_string(*d)) : Json();
}

// A task as the JSON shows it in a blocking chain.
Json task_json(const present::ReasonContext& context, const Words& w, model::Index t) {
  const model::RuleSet& rules = context.rules;
  const eval::Results& results = context.results;
  const model::Task& task = rules.tasks[static_cast<std::size_t>(t)];
  const eval::TaskResult& r = results.tasks[static_cast<std::size_t>(t)];
  return {{"task", task.name},
          {"title", task.title},
          {"state", std::string(to_string(r.state))},
          {"due", optional_date(task.due)},
          {"earliest_finish", optional_date(r.earliest_finish)},
          {"reported", r.reported ? Json(std::string(model::to_string(*r.reported))) : Json()},
          {"reported_on", optional_date(r.reported_on)},
          {"note", r.note},
          {"reason", present::reason_text(context, r, w.language())}};
}

// The rule's block as written: from its line to the brace that closes it.
// "failing: Xã Gia Canh (gia_canh), …" and "no data: …" lines, each unit named.
std::string coverage_lists(const store::Snapshot& snapshot, const eval::Coverage& c,
                           std::string_view indent, const Words& w) {
  const auto names = [&](const std::vector<store::UnitIndex>& units) {
    std::string text;
    for (store::UnitIndex u : units) {
      const store::SnapshotUnit& su = snapshot.units()[static_cast<std::size_t>(u)];
      text += fmt::format("{}{} ({})", text.empty() ? "" : ", ", su.name, su.id);
    }
    return text;
  };
  std::string out;
  if (!c.failing.empty()) {
    out += fmt::format("{}{}: {}\n", indent, w("failing", "chưa đạt"), names(c.failing));
  }
  if (!c.no_data.empty()) {
    out += fmt::format("{}{}: {}\n", indent, w("no data", "chưa có số liệu"), names(c.no_data));
  }
  return out;
}

std::string rule_source(const model::SourceRef& source) {
  std::ifstream in(source.file);
  std::string line;
  std::string out;
  int depth = 0;
  bool started = false;
  for (std::uint32_t n = 1; std::getline(in, line); ++n) {
    if (n < source.line) continue;
    out += fmt::format("  {:>4} | {}\n", n, line);
    bool in_string = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (in_string) {
        if (c == '\\')
          ++i;
        else if (c == '"')
          in_string = false;
      } else if (c == '"') {
        in_string = true;
      } else if (c == '#') {
        break;
      } else if (c == '{') {
        ++depth;
        started = true;
      } else if (c == '}') {
        --depth;
      }
    }
    if (started && depth <= 0) break;
    if (n > source.line + 200) break;  // a runaway block: enough to see it
  }
  return out;
}

std::string task_line(const present::ReasonContext& context, const Words& w, model::Index t) {
  const model::Task& task = context.rules.tasks[static_cast<std::size_t>(t)];
  const eval::TaskResult& r = context.results.tasks[static_cast<std::size_t>(t)];
  const std::string state =
      w.vi() ? std::string(present::label(r.state, w.language())) : std::string(to_string(r.state));
  std::string reported = std::string(w(", no status reported", ", chưa báo cáo tình trạng"));
  if (r.reported) {
    reported = w.vi()
                   ? fmt::format(", báo cáo “{}” ngày {}",
                                 present::label(*r.reported, w.language()), w.date(r.reported_on))
                   : fmt::format(", reported {} on {}", model::to_string(*r.reported),
                                 model::to_string(*r.reported_on));
  }
  return fmt::format(
      "{} ({}): {}; {} {}, {} {}{}; {}{}", task.name, task.title.empty() ? "-" : task.title, state,
      w("due", "hạn"), w.date(task.due), w("earliest finish", "sớm nhất xong"),
      w.date(r.earliest_finish), reported, present::reason_text(context, r, w.language()),
      r.note.empty() ? "" : fmt::format("; {}: {}", w("note", "ghi chú"), r.note));
}

int run_explain(const ExplainOptions& options) {
  const std::optional<model::Date> at = evaluation_date("explain", options.at, options.time_zone);
  if (!at) return 2;
  const std::optional<std::string> known_at =
      known_at_argument("explain", options.known_at, options.time_zone);
  if (!known_at) return 2;
  std::optional<EvaluationInputs> inputs = load_evaluation_inputs(
      "explain", options.rules, options.db, store::Database::Mode::read_only, *known_at);
  if (!inputs) return 1;
  const model::RuleSet* rules = &inputs->rules;
  const store::Snapshot& snapshot = inputs->snapshot;
  const model::Index rule_index = rules->find_rule(options.rule);
  if (rule_index == model::kNone) {
    std::vector<std::string> names;
    for (const auto& r : rules->rules) names.push_back(r.name);
    const auto suggestion = util::closest_match(options.rule, names);
    std::fprintf(stderr, "tiendo explain: the rule set has no rule '%s'%s\n", options.rule.c_str(),
                 suggestion ? fmt::format("; did you mean '{}'?", *suggestion).c_str() : "");
    return 2;
  }
  // Where each observation came from stays in the store; read it for the rows shown.
  auto db = store::Database::open(options.db, store::Database::Mode::read_only);
  if (auto* error = std::get_if<store::DbError>(&db)) {
    std::fprintf(stderr, "tiendo explain: %s\n", error->message.c_str());
    return 1;
  }
  eval::EvaluateOptions evaluate_options;
  evaluate_options.keep_trend_points = true;
  const eval::Results results = eval::evaluate(*rules, snapshot, *at, evaluate_options);
  const present::ReasonContext context{*rules, snapshot, results};
  const Words w(options.lang == "vi" ? model::Language::vi : model::Language::en);
  const model::Rule& written = rules->rules[static_cast<std::size_t>(rule_index)];
  // The version in force on the date: the rule's own require or its latest amendment.
  const std::int32_t version_index = rules->version_at(rule_index, *at);
  const model::Rule& rule = rules->version(rule_index, version_index);

  std::string out = fmt::format("{} {} ({}:{})\n", w("rule", "quy tắc"), rule.name,
                                written.source.file, written.source.line);
  out += rule_source(written.source);
  Json version_json;
  if (!written.amendments.empty()) {
    const std::optional<model::Date> from = rules->in_force_from(rule_index, version_index);
    const model::SourceRef& where =
        from ? written.amendments[static_cast<std::size_t>(version_index - 1)].source
             : written.source;
    const std::string history = present::target_history(*rules, rule_index, w.language());
    out += fmt::format("{}: {}\n", w("target history", "lịch sử chỉ tiêu"), history);
    out += from ? fmt::format("{} {}: {} {} ({}:{}): {}\n", w("in force on", "áp dụng ngày"),
                              w.date(*at), w("the amendment from", "điều chỉnh từ"), w.date(*from),
                              where.file, where.line, rule.condition_text)
                : fmt::format("{} {}: {} ({} {})\n", w("in force on", "áp dụng ngày"), w.date(*at),
                              w("the rule's own require, before its first amendment",
                                "yêu cầu gốc của quy tắc, trước lần điều chỉnh đầu tiên"),
                              w("from", "từ"), w.date(written.amendments[0].from));
    version_json = {{"index", version_index},
                    {"in_force_from", from ? Json(model::to_string(*from)) : Json()},
                    {"condition", rule.condition_text},
                    {"source", {{"file", where.file}, {"line", where.line}}},
                    {"history", history}};
  }
  Json basis = Json::array();
  for (model::Index p : rule.basis) {
    const model::Plan& plan = rules->plans[static_cast<std::size_t>(p)];
    out += fmt::format("{}: {} ({})\n", w("basis", "căn cứ"), present::cite_plan(plan), plan.name);
    basis.push_back({{"plan", plan.name},
                     {"code", plan.code},
                     {"issued", plan.issued ? Json(model::to_string(*plan.issued)) : Json()},
                     {"cited", present::cite_plan(plan)}});
  }
  Json json_out = {{"rule", rule.name},
                   {"title", rule.title},
                   {"source", {{"file", written.source.file}, {"line", written.source.line}}},
                   {"condition", rule.condition_text},
                   {"basis", std::move(basis)},
                   {"version", std::move(version_json)},
                   {"at", model::to_string(*at)},
                   {"known_at", known_at->empty() ? Json() : Json(*known_at)},
                   {"results", Json::array()}};
  if (!known_at->empty()) {
    out += fmt::format(
        "{}: {} ({})\n", w("known at", "dữ liệu đã biết đến"), *known_at,
        w("only what was ingested by then counts", "chỉ tính số liệu đã nạp đến lúc đó"));
  }
  bool any = false;
  for (const eval::RuleResult& r : results.rules) {
    if (r.rule != rule_index) continue;
    const std::string unit =
        r.unit < 0 ? std::string("-") : snapshot.units()[static_cast<std::size_t>(r.unit)].id;
    if (!options.unit.empty() && unit != options.unit) continue;
    any = true;
    const auto value = [&](const std::optional<double>& v) {
      return v ? present::format_value(*rules, r, *v, w.language()) : std::string("-");
    };
    const std::string reason = present::reason_text(context, r, w.language());
    if (w.vi()) {
      out += fmt::format("\ntại {} ngày {}: {} (mức độ: {})\n", unit, w.date(*at),
                         present::label(r.state, w.language()),
                         present::lower_first(present::label(r.severity, w.language())));
    } else {
      out += fmt::format("\nat {} on {}: {} (severity {})\n", unit, model::to_string(*at),
                         to_string(r.state), model::to_string(r.severity));
    }
    out += fmt::format("  {}\n", reason);
    Json entry = {{"unit", r.unit < 0 ? Json() : Json(unit)},
                  {"state", std::string(to_string(r.state))},
                  {"severity", std::string(model::to_string(r.severity))},
                  {"reason", reason},
                  {"why", present::reason_json(context, r)},
                  {"value", optional_number(r.value)},
                  {"target", optional_number(r.target)},
                  {"upper", optional_number(r.upper)},
                  {"deadline", optional_date(r.deadline)},
                  {"projected", optional_number(r.projected)},
                  {"rate_needed", optional_number(r.rate_needed)},
                  {"rate_observed", optional_number(r.rate_observed)},
                  {"failed_on", optional_date(r.failed_on)},
                  {"estimate", r.estimate},
                  {"notes", present::value_remarks(snapshot, r).notes},
                  {"observations", Json::array()},
                  {"trend", Json::array()},
                  {"blocked_by", Json()}};
    if (!r.used().empty()) {
      out += fmt::format("  {}:\n", w("observations used", "số liệu đã dùng"));
      std::vector<std::string> later;
      std::vector<std::vector<std::string>> rows = {
          w.vi() ? std::vector<std::string>{"    CHỈ TIÊU", "ĐƠN VỊ", "KỲ", "GIÁ TRỊ", "LẦN",
                                            "NGUỒN", "TỪ", "GHI CHÚ"}
                 : std::vector<std::string>{"    INDICATOR", "UNIT", "PERIOD", "VALUE", "REV",
                                            "SOURCE", "FROM", "NOTE"}};
      for (const eval::UsedPoint& u : r.used()) {
        const store::Point& p = *u.point;
        const model::Indicator& indicator =
            rules->indicators[static_cast<std::size_t>(u.indicator)];
        std::string shown =
            indicator.unit == model::ValueUnit::percent ? w.percent(p.value) : w.number(p.value);
        if (snapshot.numerator(p) && snapshot.denominator(p)) {
          shown += fmt::format(" ({}/{})", w.number(*snapshot.numerator(p)),
                               w.number(*snapshot.denominator(p)));
        }
        if (snapshot.estimate(p)) shown += fmt::format(" ({})", w("estimate", "ước tính"));
        auto origin = store::provenance(std::get<store::Database>(db), p.row);
        if (auto* error = std::get_if<store::DbError>(&origin)) {
          std::fprintf(stderr, "tiendo explain: %s\n", error->message.c_str());
          return 1;
        }
        const store::Provenance& from = std::get<store::Provenance>(origin);
        // Read as known at an earlier time, a later revision may exist: say which.
        if (from.latest_revision > p.revision) {
          later.push_back(
              w.vi() ? fmt::format(
                           "    {} {} {}: đã dùng lần sửa {}; lần sửa {}, nạp lúc {}, "
                           "đến sau",
                           indicator.name, snapshot.units()[static_cast<std::size_t>(u.unit)].id,
                           w.period(p), p.revision, from.latest_revision, from.latest_ingested_at)
                     : fmt::format(
                           "    {} {} {}: revision {} was used; revision {}, ingested {}, "
                           "came later",
                           indicator.name, snapshot.units()[static_cast<std::size_t>(u.unit)].id,
                           w.period(p), p.revision, from.latest_revision, from.latest_ingested_at));
        }
        entry["observations"].push_back(
            {{"indicator", indicator.name},
             {"unit", snapshot.units()[static_cast<std::size_t>(u.unit)].id},
             {"period_start", model::to_string(p.start())},
             {"period_end", model::to_string(p.end())},
             {"value", p.value},
             {"numerator", optional_number(snapshot.numerator(p))},
             {"denominator", optional_number(snapshot.denominator(p))},
             {"revision", p.revision},
             {"ingested_at", from.ingested_at},
             {"latest_revision", from.latest_revision},
             {"latest_ingested_at", from.latest_ingested_at},
             {"estimate", snapshot.estimate(p)},
             {"note", snapshot.note(p)},
             {"source", from.source},
             {"input", from.input},
             {"line", from.input_line}});
        rows.push_back(
            {"    " + indicator.name, snapshot.units()[static_cast<std::size_t>(u.unit)].id,
             w.period(p), shown, std::to_string(p.revision), from.source,
             fmt::format("{}:{}", from.input, from.input_line), one_line(snapshot.note(p))});
      }
      out += present::table(rows);
      if (!later.empty()) {
        out += fmt::format("  {}:\n",
                           w("later revisions, not known then", "lần sửa sau, lúc đó chưa biết"));
        for (const std::string& line : later) out += line + "\n";
      }
    } else {
      out += fmt::format("  {}: {}\n", w("observations used", "số liệu đã dùng"),
                         w("none", "không có"));
    }
    const present::ValueRemarks remarks = present::value_remarks(snapshot, r);
    out += fmt::format("  {}: {}{}\n", w("value", "giá trị"), value(r.value),
                       r.value && remarks.estimate ? w(" (estimate)", " (ước tính)") : "");
    for (const std::string& note : remarks.notes)
      out += fmt::format("  {}: {}\n", w("note", "ghi chú"), one_line(note));
    if (r.coverage()) {
      const eval::Coverage& c = *r.coverage();
      out += fmt::format("  {}: {}/{} {}\n", w("units", "đơn vị"), c.counted, c.total,
                         rules->scope_name(c.level));
      out += coverage_lists(snapshot, c, "    ", w);
      entry["coverage"] = present::coverage_json(*rules, snapshot, c);
    }
    const model::Condition& c = rules->conditions[static_cast<std::size_t>(rule.condition)];
    std::string requirement =
        fmt::format("{} {}", w.vi() ? present::comparator_symbol(c.op) : model::to_string(c.op),
                    value(r.target));
    if (c.op == model::Comparator::between && w.vi()) {
      requirement = "trong khoảng " + value(r.target);
    }
    if (r.upper) requirement += std::string(w(" and ", " – ")) + value(r.upper);
    if (rule.timing == model::Timing::by) {
      requirement += fmt::format(" {} {}", w("by", "hạn"), w.date(rule.date));
    }
    if (rule.timing == model::Timing::from) {
      requirement += fmt::format(" {} {}", w("from", "từ"), w.date(rule.date));
    }
    out += fmt::format("  {}: {} ({})\n", w("requirement", "yêu cầu"), requirement,
                       rule.condition_text);
    if (!r.trend_points().empty()) {
      std::string points;
      for (const auto& [d, v] : r.trend_points()) {
        points += fmt::format("{}{} {}", points.empty() ? "" : ", ", w.date(d),
                              present::format_value(*rules, r, v, w.language()));
        entry["trend"].push_back({{"date", model::to_string(d)}, {"value", v}});
      }
      out += w.vi() ? fmt::format("  xu hướng: bình phương tối thiểu trên {} điểm ({})\n",
                                  r.trend_points().size(), points)
                    : fmt::format("  trend: least squares over {} point{} ({})\n",
                                  r.trend_points().size(), r.trend_points().size() == 1 ? "" : "s",
                                  points);
    }
    // The whole course as one line: every observation date up to the date.
    if (r.unit >= 0) {
      if (const auto course = eval::target_course(*rules, snapshot, r.rule, r.unit, *at);
          course && course->points.size() >= 2) {
        std::vector<double> values;
        for (const eval::CoursePoint& p : course->points) values.push_back(p.value);
        out += fmt::format("  {}: {} ({} {}, {} → {})\n", w("course", "diễn biến"),
                           present::sparkline(values), values.size(),
                           w("observations", "lần quan sát"), w.date(course->points.front().date),
                           w.date(course->points.back().date));
        entry["sparkline"] = present::sparkline(values);
      }
    }
    if (r.projected && r.deadline) {
      out += fmt::format("  {} {}: {}\n", w("projected on", "dự báo ngày"), w.date(*r.deadline),
                         value(r.projected));
    }
    if (r.rate_needed || r.rate_observed) {
      const bool percent =
          rules->expressions[static_cast<std::size_t>(c.lhs)].unit == model::ValueUnit::percent;
      const double scale = percent ? 100 : 1;
      const auto rate = [&](const std::optional<double>& v) {
        if (!v) return std::string("-");
        if (w.vi()) {
          const std::string text = present::format_signed_rate(*v, percent, w.language());
          return text.empty() ? std::string("0") : text;
        }
        return fmt::format("{:+.3g}{}", *v * scale, percent ? " points" : "");
      };
      out += w.vi() ? fmt::format("  mỗi tháng: cần {}, thực tế {}\n", rate(r.rate_needed),
                                  rate(r.rate_observed))
                    : fmt::format("  per month: needed {}, observed {}\n", rate(r.rate_needed),
                                  rate(r.rate_observed));
    }
    if (r.failed_on) {
      out += fmt::format("  {}: {}\n", w("failed on", "không đạt từ ngày"), w.date(*r.failed_on));
    }
    if (r.blocking_task != model::kNone) {
      out += fmt::format("  {}:\n", w("blocked by", "bị chặn bởi"));
      out += "    " + task_line(context, w, r.blocking_task) + "\n";
      for (model::Index t : r.chain()) out += "    \u2190 " + task_line(context, w, t) + "\n";
      Json chain = Json::array();
      for (model::Index t : r.chain()) chain.push_back(task_json(context, w, t));
      entry["blocked_by"] = task_json(context, w, r.blocking_task);
      entry["blocked_by"]["chain"] = std::move(chain);
    }
    json_out["results"].push_back(std::move(entry));
  }
  // A `for each` rule summed up over all its units (unless one unit was asked for).
  const auto summary = eval::for_each_summary(*rules, eval::results_of(results, rule_index));
  if (summary && options.unit.empty()) {
    out += w.vi()
               ? fmt::format("\ntrên mọi {}: {}/{} đạt\n", rules->scope_name(summary->level),
                             summary->counted, summary->total)
               : fmt::format("\nover every {}: {}/{} meet it\n", rules->scope_name(summary->level),
                             summary->counted, summary->total);
    out += coverage_lists(snapshot, *summary, "  ", w);
    json_out["summary"] = present::coverage_json(*rules, snapshot, *summary);
  }
  if (!any) {
    std::fprintf(stderr, "tiendo explain: rule '%s' has no result at unit '%s'\n",
                 options.rule.c_str(), options.unit.c_str());
    return 2;
  }
  if (options.format == "json") out = json_out.dump(2) + "\n";
  std::fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace

Action add_explain_command(CLI::App& app) {
  auto options = std::make_shared<ExplainOptions>();
  CLI::App* command =
      app.add_subcommand("explain", "Show why a rule is in its state, with the data behind it");
  command->add_option("rule", options->rule, "The rule's name")->required();
  command->add_option("--db", options->db, kDatabaseHelp)->required();
  command->add_option("--rules", options->rules, "A rule file or directory (repeatable)")
      ->required()
      ->allow_extra_args(false);
  command->add_option("--unit", options->unit, "Only this unit");
  command->add_option("--at", options->at, "The evaluation date (default: today)");
  command->add_option("--time-zone", options->time_zone,
                      "Time zone that decides today's date (default Asia/Ho_Chi_Minh)");
  command->add_option("--known-at", options->known_at, kKnownAtHelp);
  command->add_option("--format", options->format, "text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  command
      ->add_option("--lang", options->lang,
                   "en (default) or vi: the explanation's words, states, reasons, dates, "
                   "periods and figures as Vietnamese documents write them")
      ->check(CLI::IsMember({"en", "vi"}));
  return [options] { return run_explain(*options); };
}

}  // namespace tiendo::cli
