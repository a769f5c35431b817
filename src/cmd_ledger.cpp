// `tiendo ledger rewind`: the operator's way back from runs recorded at a wrong date.
// `tiendo ledger results`: what a recorded run found, as the store keeps it.
// `tiendo gc`: retention, the runs older than an age pruned.
#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "alert/rewind.hpp"
#include "cli_support.hpp"
#include "commands.hpp"
#include "model/rfc3339.hpp"
#include "store/runs.hpp"
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

struct ResultsOptions {
  std::string db;
  std::int64_t run = 0;
  std::string rule, task, unit;
  std::size_t offset = 0, limit = 1000;
  std::string format = "table";
};

int ledger_results(const ResultsOptions& o) {
  if (!o.rule.empty() && !o.task.empty()) {
    std::fputs("tiendo ledger results: give --rule or --task, not both\n", stderr);
    return 2;
  }
  TIENDO_ASSIGN_OR_ELSE(store::Database db,
                        store::Database::open(o.db, store::Database::Mode::read_only),
                        exit_on_error("ledger results"));
  store::StoredResultQuery query;
  if (!o.rule.empty())
    query = {store::Subject::rule, o.rule, o.unit, o.offset, o.limit};
  else if (!o.task.empty())
    query = {store::Subject::task, o.task, "", o.offset, o.limit};
  else
    query = {std::nullopt, "", o.unit, o.offset, o.limit};
  TIENDO_ASSIGN_OR_ELSE(const store::StoredResultPage page, store::results_at(db, o.run, query),
                        exit_on_error("ledger results"));
  switch (page.status) {
    case store::StoredResultPage::Status::ok:
      break;
    case store::StoredResultPage::Status::no_run:
      std::fprintf(stderr, "tiendo ledger results: no run %lld in %s\n",
                   static_cast<long long>(o.run), o.db.c_str());
      return 1;
    case store::StoredResultPage::Status::not_succeeded:
      std::fprintf(stderr,
                   "tiendo ledger results: run %lld (at %s) is %s: only a succeeded run keeps "
                   "results\n",
                   static_cast<long long>(o.run), page.at.c_str(), page.run_status.c_str());
      return 1;
    case store::StoredResultPage::Status::pruned:
      std::fprintf(stderr,
                   "tiendo ledger results: the results of run %lld (at %s) were pruned by "
                   "retention (`tiendo gc`); they are kept from run %lld on\n",
                   static_cast<long long>(o.run), page.at.c_str(),
                   static_cast<long long>(page.kept_from));
      return 1;
  }
  if (o.format == "json") {
    nlohmann::json list = nlohmann::json::array();
    for (const store::StoredResult& r : page.results) {
      nlohmann::json detail = nlohmann::json::parse(r.detail, nullptr, false);
      list.push_back({{"subject", store::to_string(r.subject)},
                      {"name", r.name},
                      {"unit", r.unit},
                      {"state", r.state},
                      {"since_run", r.since_run},
                      {"detail", detail.is_discarded() ? nlohmann::json(r.detail) : detail}});
    }
    const nlohmann::json out = {{"run", o.run},       {"at", page.at},    {"total", page.total},
                                {"offset", o.offset}, {"limit", o.limit}, {"results", list}};
    std::puts(out.dump(2).c_str());
    return 0;
  }
  std::printf("run %lld at %s: %lld results%s\n", static_cast<long long>(o.run), page.at.c_str(),
              static_cast<long long>(page.total),
              page.results.size() < static_cast<std::size_t>(page.total)
                  ? fmt::format(" ({} shown from {})", page.results.size(), o.offset).c_str()
                  : "");
  for (const store::StoredResult& r : page.results) {
    std::printf("%s %s%s%s  %s  (since run %lld)  %s\n",
                std::string(store::to_string(r.subject)).c_str(), r.name.c_str(),
                r.unit.empty() ? "" : " @ ", r.unit.c_str(), r.state.c_str(),
                static_cast<long long>(r.since_run), r.detail.c_str());
  }
  return 0;
}

struct GcOptions {
  std::string db;
  std::string older_than;
  bool dry_run = false;
  bool vacuum = false;
  std::string format = "table";
};

int run_gc(const GcOptions& o) {
  std::string why;
  const auto age = model::parse_clock_duration(o.older_than, why);
  if (!age) {
    std::fprintf(stderr, "tiendo gc: --older-than: %s\n", why.c_str());
    return 2;
  }
  const std::string now = now_utc();
  const auto now_time = model::parse_utc(now);
  const std::string before = model::format_utc(*now_time - *age);
  TIENDO_ASSIGN_OR_ELSE(store::Database db,
                        store::Database::open(o.db, store::Database::Mode::existing),
                        exit_on_error("gc"));
  TIENDO_ASSIGN_OR_ELSE(const store::PruneReport r,
                        store::prune_runs(db, before, now, !o.dry_run, o.vacuum && !o.dry_run),
                        exit_on_error("gc"));
  if (o.format == "json") {
    const nlohmann::json out = {
        {"older_than", o.older_than},
        {"before", before},
        {"dry_run", o.dry_run},
        {"kept_from_run", r.kept_from_run},
        {"kept_from_at", r.kept_from_at},
        {"removed",
         {{"result_rows", r.result_rows_removed},
          {"undo_rows", r.undo_rows_removed},
          {"evaluations", r.evaluations_removed},
          {"runs", r.runs_removed}}},
        {"runs_kept_for_alert_history", r.runs_kept},
        {"pages_freed", r.pages_freed},
        {"longest_transaction_seconds", r.longest_transaction_seconds},
        {"incremental_vacuum", r.incremental},
        {"file_bytes", {{"before", r.file_bytes_before}, {"after", r.file_bytes_after}}}};
    std::puts(out.dump(2).c_str());
    return 0;
  }
  if (r.kept_from_run == 0) {
    std::puts("gc: no run has succeeded yet; nothing to prune");
    return 0;
  }
  std::printf(
      "gc%s: runs started before %s; results kept whole from run %lld (at %s)\n"
      "%s %zu result rows, %zu undo rows, %zu evaluation records, %zu runs; %zu earlier runs "
      "stay for the alerts' history\n",
      o.dry_run ? " (dry run)" : "", before.c_str(), static_cast<long long>(r.kept_from_run),
      r.kept_from_at.c_str(), o.dry_run ? "would remove" : "removed", r.result_rows_removed,
      r.undo_rows_removed, r.evaluations_removed, r.runs_removed, r.runs_kept);
  if (!o.dry_run) {
    // What gives the room back differs by engine.
    const bool postgres = db.engine() == store::Engine::postgresql;
    const char* advice =
        postgres        ? (o.vacuum ? ""
                                    : " (PostgreSQL's autovacuum lets new rows reuse the room of the "
                                      "removed ones; `tiendo gc --vacuum` gives it back to the file "
                                      "system with VACUUM FULL, which locks those tables while it "
                                      "rewrites them)")
        : r.incremental ? ""
                        : " (this database was made without incremental vacuum: its free pages "
                          "are reused, and `tiendo gc --vacuum` shrinks it once, with an "
                          "exclusive lock while it rewrites the file)";
    std::printf("%s: %.1f MB -> %.1f MB; the longest write held the lock %.2f s%s\n",
                postgres ? "database" : "file", static_cast<double>(r.file_bytes_before) / 1e6,
                static_cast<double>(r.file_bytes_after) / 1e6, r.longest_transaction_seconds,
                advice);
  }
  return 0;
}

}  // namespace

Action add_gc_command(CLI::App& app) {
  auto o = std::make_shared<GcOptions>();
  CLI::App* command = app.add_subcommand(
      "gc",
      "Prune the runs older than an age: their results, undo log and records (alerts and "
      "their history stay), and give the space back");
  command->add_option("--db", o->db, kDatabaseHelp)->required();
  command
      ->add_option("--older-than", o->older_than,
                   "Runs started longer ago than this (e.g. 400d, 90d) are pruned")
      ->required();
  command->add_flag("--dry-run", o->dry_run, "Count what would go; change nothing");
  command->add_flag("--vacuum", o->vacuum,
                    "Also rewrite the file (VACUUM): shrinks a database made before incremental "
                    "vacuum, with an exclusive lock for as long as it takes (on PostgreSQL, "
                    "VACUUM FULL of the pruned tables)");
  command->add_option("--format", o->format, "Output format")
      ->check(CLI::IsMember({"table", "json"}));
  return [o] { return run_gc(*o); };
}

Action add_ledger_command(CLI::App& app) {
  auto o = std::make_shared<LedgerOptions>();
  auto action = std::make_shared<Action>();
  CLI::App* command = app.add_subcommand(
      "ledger", "The alert ledger: a run's recorded results, and repairs (runs at a wrong date)");
  command->require_subcommand(1);
  CLI::App* rewind = command->add_subcommand(
      "rewind",
      "Void every run from the first one dated after --to: undo its alert changes, cancel "
      "its unsent messages; runs, results and sent messages stay on record");
  rewind->add_option("--db", o->db, kDatabaseHelp)->required();
  rewind->add_option("--to", o->to, "The last good date: runs dated after it are voided")
      ->required();
  rewind->add_flag("--dry-run", o->dry_run, "Show what it would do; change nothing");
  rewind->add_option("--format", o->format, "Output format")
      ->check(CLI::IsMember({"table", "json"}));
  rewind->callback([o, action] { *action = [o] { return ledger_rewind(*o); }; });
  auto r = std::make_shared<ResultsOptions>();
  CLI::App* results = command->add_subcommand(
      "results", "The results a recorded run found (everything, or one rule, task or unit)");
  results->add_option("--db", r->db, kDatabaseHelp)->required();
  results->add_option("--run", r->run, "The run's id (tiendo run prints it)")->required();
  results->add_option("--rule", r->rule, "Only this rule's results");
  results->add_option("--task", r->task, "Only this task's result");
  results->add_option("--unit", r->unit, "Only the results at this unit");
  results->add_option("--offset", r->offset, "Skip this many results");
  results->add_option("--limit", r->limit, "At most this many results (default 1000)")
      ->check(CLI::Range(1, 1000000));
  results->add_option("--format", r->format, "Output format")
      ->check(CLI::IsMember({"table", "json"}));
  results->callback([r, action] { *action = [r] { return ledger_results(*r); }; });
  return [action] { return *action ? (*action)() : 2; };
}

}  // namespace tiendo::cli
