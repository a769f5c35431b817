// `tiendo ledger rewind`: the operator's way back from runs recorded at a wrong date.
#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "alert/rewind.hpp"
#include "cli_support.hpp"
#include "commands.hpp"
#include "util/result.hpp"

namespace tiendo::cli {

namespace {

struct LedgerOptions {
  std::string db;
  std::string to;
  bool dry_run = false;
  std::string format = "table";
};

int ledger_rewind(const LedgerOptions& o) {
  std::string error;
  const std::optional<model::Date> to = parse_date_option(o.to, error);
  if (!to) {
    std::fprintf(stderr, "tiendo ledger rewind: --to: %s\n", error.c_str());
    return 2;
  }
  TIENDO_ASSIGN_OR_ELSE(store::Database db,
                        store::Database::open(o.db, store::Database::Mode::existing),
                        exit_on_error("ledger rewind"));
  TIENDO_ASSIGN_OR_ELSE(const alert::RewindReport r,
                        alert::rewind_ledger(db, *to, now_utc(), !o.dry_run),
                        exit_on_error("ledger rewind"));
  if (o.format == "json") {
    nlohmann::json runs = nlohmann::json::array();
    for (const alert::VoidedRun& v : r.runs) {
      runs.push_back({{"id", v.id}, {"at", v.at}, {"status", v.status}});
    }
    const nlohmann::json out = {
        {"to", model::to_string(*to)},
        {"dry_run", o.dry_run},
        {"voided_runs", runs},
        {"kept_run", r.kept_run ? nlohmann::json(*r.kept_run) : nlohmann::json(nullptr)},
        {"kept_at", r.kept_run ? nlohmann::json(r.kept_at) : nlohmann::json(nullptr)},
        {"alerts",
         {{"restored", r.alerts_restored},
          {"removed", r.alerts_removed},
          {"redated", r.alerts_redated}}},
        {"messages",
         {{"cancelled", r.messages_cancelled}, {"already_sent", r.messages_already_sent}}}};
    std::puts(out.dump(2).c_str());
    return 0;
  }
  if (r.runs.empty()) {
    std::printf("no run is dated after %s: nothing to rewind\n", model::to_string(*to).c_str());
    return 0;
  }
  std::string list;
  for (const alert::VoidedRun& v : r.runs) {
    list += fmt::format("{}run {} at {}{}", list.empty() ? "" : ", ", v.id, v.at,
                        v.status == "succeeded" ? "" : " (" + v.status + ")");
  }
  std::printf("%s %zu run%s: %s\n", o.dry_run ? "would void" : "voided", r.runs.size(),
              r.runs.size() == 1 ? "" : "s", list.c_str());
  std::printf("alerts: %zu restored, %zu removed, %zu dated back to %s\n", r.alerts_restored,
              r.alerts_removed, r.alerts_redated,
              r.kept_run ? fmt::format("run {} at {}", *r.kept_run, r.kept_at).c_str()
                         : "their first day (no earlier run stays)");
  std::printf("messages: %zu not yet sent %s, %zu already sent (they cannot be recalled)\n",
              r.messages_cancelled, o.dry_run ? "would be cancelled" : "cancelled",
              r.messages_already_sent);
  if (o.dry_run) std::printf("dry run: nothing was changed\n");
  return 0;
}

}  // namespace

Action add_ledger_command(CLI::App& app) {
  auto o = std::make_shared<LedgerOptions>();
  auto action = std::make_shared<Action>();
  CLI::App* command =
      app.add_subcommand("ledger", "Repair the alert ledger (runs recorded at a wrong date)");
  command->require_subcommand(1);
  CLI::App* rewind = command->add_subcommand(
      "rewind",
      "Void every run from the first one dated after --to: undo its alert changes, cancel "
      "its unsent messages; runs, results and sent messages stay on record");
  rewind->add_option("--db", o->db, "SQLite database file")->required();
  rewind->add_option("--to", o->to, "The last good date: runs dated after it are voided")
      ->required();
  rewind->add_flag("--dry-run", o->dry_run, "Show what it would do; change nothing");
  rewind->add_option("--format", o->format, "Output format")
      ->check(CLI::IsMember({"table", "json"}));
  rewind->callback([o, action] { *action = [o] { return ledger_rewind(*o); }; });
  return [action] { return *action ? (*action)() : 2; };
}

}  // namespace tiendo::cli
