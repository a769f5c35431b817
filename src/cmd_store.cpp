// `tiendo store copy SRC DST`: a whole store from one database into a new, empty one —
// a SQLite file into PostgreSQL, or back — all or nothing, with each table's rows and
// checksum.
#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "commands.hpp"
#include "present/markup.hpp"
#include "store/copy.hpp"
#include "util/result.hpp"

namespace tiendo::cli {

namespace {

struct CopyOptions {
  std::string from;
  std::string to;
  std::string format = "table";
};

int run_copy(const CopyOptions& options) {
  TIENDO_ASSIGN_OR_ELSE(store::Database from,
                        store::Database::open(options.from, store::Database::Mode::read_only),
                        exit_on_error("store copy", "the source: "));
  TIENDO_ASSIGN_OR_ELSE(store::Database to,
                        store::Database::open(options.to, store::Database::Mode::create),
                        exit_on_error("store copy", "the destination: "));
  TIENDO_ASSIGN_OR_ELSE(const store::CopyReport report, store::copy_store(from, to),
                        exit_on_error("store copy", "nothing was copied: "));
  std::int64_t rows = 0;
  for (const store::TableCopy& table : report.tables) rows += table.rows;
  if (options.format == "json") {
    nlohmann::json tables = nlohmann::json::array();
    for (const store::TableCopy& table : report.tables) {
      tables.push_back(
          {{"table", table.table}, {"rows", table.rows}, {"checksum", table.checksum}});
    }
    const nlohmann::json out = {
        {"from", from.path()}, {"to", to.path()}, {"rows", rows}, {"tables", tables}};
    std::puts(out.dump(2).c_str());
    return 0;
  }
  std::vector<std::vector<std::string>> lines = {{"TABLE", "ROWS", "CHECKSUM (XXH3-64)"}};
  for (const store::TableCopy& table : report.tables) {
    lines.push_back({table.table, std::to_string(table.rows), table.checksum});
  }
  std::fputs(present::table(lines).c_str(), stdout);
  std::printf("copied %lld rows from %s to %s; each table's checksum read back the same\n",
              static_cast<long long>(rows), from.path().c_str(), to.path().c_str());
  return 0;
}

}  // namespace

Action add_store_command(CLI::App& app) {
  CLI::App* command = app.add_subcommand("store", "Work on a store as a whole");
  command->require_subcommand(1);
  auto options = std::make_shared<CopyOptions>();
  CLI::App* copy = command->add_subcommand(
      "copy",
      "Copy a whole store into a new, empty one (a SQLite file into PostgreSQL, or back): all "
      "or nothing, each table's rows and checksum printed; the copy keeps its own store "
      "identity");
  copy->add_option("source", options->from, "The store to copy: a SQLite file or a PostgreSQL URL")
      ->required();
  copy->add_option("destination", options->to,
                   "The new store: a SQLite file (made if absent) or a PostgreSQL URL; it must "
                   "hold no rows")
      ->required();
  copy->add_option("--format", options->format, "table (default) or json")
      ->check(CLI::IsMember({"table", "json"}));
  return [options] { return run_copy(*options); };
}

}  // namespace tiendo::cli
