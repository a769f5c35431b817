// `tiendo history --db FILE INDICATOR [UNIT]`: every stored revision of an indicator.
#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "commands.hpp"
#include "eval/figures.hpp"
#include "model/periods.hpp"
#include "present/format.hpp"
#include "present/markup.hpp"
#include "store/ingest.hpp"
#include "util/result.hpp"

namespace tiendo::cli {

namespace {

struct HistoryOptions {
  std::string db;
  std::string indicator;
  std::string unit;
  std::string format = "table";
  std::string lang = "en";
  std::vector<std::string> rules;  // optional: says whether the indicator is a percent
};

std::string show_value(const store::ObservationRevision& r, bool percent) {
  std::string text = percent ? eval::percent_text(r.value) : eval::number_text(r.value);
  if (r.numerator && r.denominator) {
    text +=
        fmt::format(" ({}/{})", eval::number_text(*r.numerator), eval::number_text(*r.denominator));
  }
  if (r.estimate) text += " (estimate)";
  return text;
}

// The revision's value in Vietnamese: a percent indicator's as a percent ("9,23%"), an
// estimate with "khoảng" before it.
std::string vietnamese_value(const store::ObservationRevision& r, bool percent) {
  std::string text =
      percent ? present::format_percent(r.value) : present::format_exact_number(r.value);
  if (r.numerator && r.denominator) {
    text += fmt::format(" ({}/{})", present::format_exact_number(*r.numerator),
                        present::format_exact_number(*r.denominator));
  }
  return r.estimate ? present::format_estimate(text) : text;
}

// A stored period by its name, as documents write it: "Quý III/2022", "Tháng 9/2022",
// "Năm 2022", else its days.
std::string vietnamese_period(const store::ObservationRevision& r) {
  const auto first = model::parse_iso_date(r.period_start);
  const auto last = model::parse_iso_date(r.period_end);
  if (!first || !last) return r.period_start + ".." + r.period_end;
  return present::format_period(model::period_of_days(*first, *last));
}

int run_history(const HistoryOptions& options) {
  TIENDO_ASSIGN_OR_ELSE(store::Database db,
                        store::Database::open(options.db, store::Database::Mode::read_only),
                        exit_on_error("history"));
  TIENDO_ASSIGN_OR_ELSE(const std::vector<store::ObservationRevision> revisions,
                        store::history(db, options.indicator, options.unit),
                        exit_on_error("history"));
  // With the rule set, a percent indicator's values are shown as percents.
  bool percent = false;
  if (!options.rules.empty()) {
    const std::optional<model::RuleSet> rules = load_rules_reporting(options.rules);
    if (!rules) return 1;
    const model::Index indicator = rules->find_indicator(options.indicator);
    if (indicator == model::kNone) {
      std::fprintf(stderr, "tiendo history: the rule set declares no indicator '%s'\n",
                   options.indicator.c_str());
      return 2;
    }
    percent =
        rules->indicators[static_cast<std::size_t>(indicator)].unit == model::ValueUnit::percent;
  }
  if (options.format == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : revisions) {
      out.push_back(
          {{"indicator", r.indicator},
           {"unit", r.unit},
           {"period_start", r.period_start},
           {"period_end", r.period_end},
           {"revision", r.revision},
           {"value", r.value},
           {"numerator", r.numerator ? nlohmann::json(*r.numerator) : nlohmann::json()},
           {"denominator", r.denominator ? nlohmann::json(*r.denominator) : nlohmann::json()},
           {"source", r.source},
           {"note", r.note},
           {"estimate", r.estimate},
           {"input", r.input},
           {"input_line", r.input_line},
           {"ingested_at", r.ingested_at}});
    }
    std::puts(out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 0;
  }
  if (revisions.empty()) {
    std::printf("no observations of '%s'%s\n", options.indicator.c_str(),
                options.unit.empty() ? "" : fmt::format(" at '{}'", options.unit).c_str());
    return 0;
  }
  const bool vi = options.lang == "vi";
  std::vector<std::vector<std::string>> rows = {
      vi ? std::vector<std::string>{"ĐƠN VỊ", "KỲ", "LẦN", "GIÁ TRỊ", "NGUỒN", "TỪ TỆP", "NHẬP LÚC",
                                    "GHI CHÚ"}
         : std::vector<std::string>{"UNIT", "PERIOD", "REV", "VALUE", "SOURCE", "FROM", "INGESTED",
                                    "NOTE"}};
  for (const auto& r : revisions) {
    rows.push_back({r.unit, vi ? vietnamese_period(r) : r.period_start + ".." + r.period_end,
                    std::to_string(r.revision),
                    vi ? vietnamese_value(r, percent) : show_value(r, percent), r.source,
                    fmt::format("{}:{}", r.input, r.input_line), r.ingested_at, one_line(r.note)});
  }
  std::fputs(present::table(rows).c_str(), stdout);
  return 0;
}

}  // namespace

Action add_history_command(CLI::App& app) {
  auto options = std::make_shared<HistoryOptions>();
  CLI::App* command =
      app.add_subcommand("history", "Show every stored revision of an indicator's observations");
  command->add_option("--db", options->db, kDatabaseHelp)->required();
  command->add_option("indicator", options->indicator, "Indicator name")->required();
  command->add_option("unit", options->unit, "Only this unit");
  command->add_option("--format", options->format, "Output format")
      ->check(CLI::IsMember({"table", "json"}));
  command
      ->add_option("--lang", options->lang,
                   "en (default) or vi: the table's words, periods (Quý III/2022) and numbers "
                   "(9,23%) as Vietnamese documents write them")
      ->check(CLI::IsMember({"en", "vi"}));
  command
      ->add_option("--rules", options->rules,
                   "A rule file or directory (repeatable): shows a percent indicator's values "
                   "as percents")
      ->allow_extra_args(false);
  return [options] { return run_history(*options); };
}

}  // namespace tiendo::cli
