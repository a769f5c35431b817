// `tiendo history --db FILE INDICATOR [UNIT]`: every stored revision of an indicator.
#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "commands.hpp"
#include "eval/figures.hpp"
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
};

std::string show_value(const store::ObservationRevision& r) {
  std::string text = eval::number_text(r.value);
  if (r.numerator && r.denominator) {
    text +=
        fmt::format(" ({}/{})", eval::number_text(*r.numerator), eval::number_text(*r.denominator));
  }
  if (r.estimate) text += " (estimate)";
  return text;
}

int run_history(const HistoryOptions& options) {
  TIENDO_ASSIGN_OR_ELSE(store::Database db,
                        store::Database::open(options.db, store::Database::Mode::read_only),
                        exit_on_error("history"));
  TIENDO_ASSIGN_OR_ELSE(const std::vector<store::ObservationRevision> revisions,
                        store::history(db, options.indicator, options.unit),
                        exit_on_error("history"));
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
  std::vector<std::vector<std::string>> rows = {
      {"UNIT", "PERIOD", "REV", "VALUE", "SOURCE", "FROM", "INGESTED", "NOTE"}};
  for (const auto& r : revisions) {
    rows.push_back({r.unit, r.period_start + ".." + r.period_end, std::to_string(r.revision),
                    show_value(r), r.source, fmt::format("{}:{}", r.input, r.input_line),
                    r.ingested_at, one_line(r.note)});
  }
  std::fputs(present::table(rows).c_str(), stdout);
  return 0;
}

}  // namespace

Action add_history_command(CLI::App& app) {
  auto options = std::make_shared<HistoryOptions>();
  CLI::App* command =
      app.add_subcommand("history", "Show every stored revision of an indicator's observations");
  command->add_option("--db", options->db, "SQLite database file")->required();
  command->add_option("indicator", options->indicator, "Indicator name")->required();
  command->add_option("unit", options->unit, "Only this unit");
  command->add_option("--format", options->format, "Output format")
      ->check(CLI::IsMember({"table", "json"}));
  return [options] { return run_history(*options); };
}

}  // namespace tiendo::cli
