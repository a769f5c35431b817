// `tiendo backtest --from D1 --to D2 [--step 1m]`: evaluate at every step and print
// each (rule, unit)'s and each task's state changes with their dates.
#include <fmt/format.h>

#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "commands.hpp"
#include "eval/evaluate.hpp"
#include "present/format.hpp"
#include "present/markup.hpp"
#include "store/snapshot.hpp"

namespace tiendo::cli {

namespace {

struct BacktestOptions {
  std::string db;
  std::vector<std::string> rules;
  std::string from;
  std::string to;
  std::string step = "1m";
  std::string format = "table";
  std::optional<std::string> known_at;
  bool as_known = false;  // each date with what was known at its end
  std::string time_zone = "Asia/Ho_Chi_Minh";
};

struct Change {
  model::Date date;
  std::string state;
  std::int32_t version = -1;  // an amended rule's version from here on; -1 for the rest
  // The rule's target from here on, when another version came into force with this change
  // (or on the first date of an amended rule): "30% (amend from 2022-10-15)".
  std::string target;
};

int run_backtest(const BacktestOptions& options) {
  std::string error;
  const auto from = parse_date_option(options.from, error);
  if (!from) {
    std::fprintf(stderr, "tiendo backtest: --from: %s\n", error.c_str());
    return 2;
  }
  const auto to = parse_date_option(options.to, error);
  if (!to) {
    std::fprintf(stderr, "tiendo backtest: --to: %s\n", error.c_str());
    return 2;
  }
  if (*to < *from) {
    std::fprintf(stderr, "tiendo backtest: --to is before --from\n");
    return 2;
  }
  const auto step = model::parse_duration(options.step, error);
  if (!step) {
    std::fprintf(stderr, "tiendo backtest: --step: %s\n", error.c_str());
    return 2;
  }
  const std::optional<std::string> known_at =
      known_at_argument("backtest", options.known_at, options.time_zone);
  if (!known_at) return 2;
  std::optional<EvaluationInputs> inputs = load_evaluation_inputs(
      "backtest", options.rules, options.db, store::Database::Mode::read_only, *known_at);
  if (!inputs) return 1;
  const model::RuleSet* rules = &inputs->rules;

  // Steps are counted from the start so that month ends stay month ends (31/1, 28/2 …
  // would drift if each date were the previous plus one month).
  std::vector<model::Date> dates;
  for (int i = 0;; ++i) {
    model::Duration n = *step;
    n.count *= i;
    const model::Date d = i == 0 ? *from : model::add(*from, n);
    if (d > *to || dates.size() > 10000) break;
    dates.push_back(d);
  }
  if (dates.back() != *to) dates.push_back(*to);

  // Key: "rule unit" or "task name"; value: the changes in date order.
  std::vector<std::string> order;
  std::map<std::string, std::vector<Change>> changes;
  // A change of state, or for an amended rule a change of the version in force even when
  // the state stays.
  const auto record = [&](const std::string& key, model::Date date, std::string_view state,
                          const eval::RuleResult* r) {
    auto [it, inserted] = changes.try_emplace(key);
    if (inserted) order.push_back(key);
    const bool amended = r && !rules->rules[static_cast<std::size_t>(r->rule)].amendments.empty();
    const std::int32_t version = amended ? r->version : -1;
    const bool new_version =
        amended && (it->second.empty() || it->second.back().version != version);
    if (!it->second.empty() && it->second.back().state == state && !new_version) return;
    std::string target;
    if (new_version) {
      const std::optional<model::Date> in_force = rules->in_force_from(r->rule, version);
      target =
          present::version_target(*rules, rules->version(r->rule, version), model::Language::en) +
          (in_force ? " (amend from " + model::to_string(*in_force) + ")" : " (as written)");
    }
    it->second.push_back({date, std::string(state), version, std::move(target)});
  };
  // --as-known: each date evaluated on what had been ingested by the end of that day, the
  // honest replay of what the committee could have been told then.
  std::optional<store::Database> db;
  if (options.as_known) {
    auto opened = store::Database::open(options.db, store::Database::Mode::read_only);
    if (auto* failure = std::get_if<store::DbError>(&opened)) {
      std::fprintf(stderr, "tiendo backtest: %s\n", failure->message.c_str());
      return 1;
    }
    db.emplace(std::move(std::get<store::Database>(opened)));
  }
  for (model::Date date : dates) {
    std::optional<store::Snapshot> known_then;
    if (options.as_known) {
      const std::optional<std::string> end = end_of_day_utc(date, options.time_zone, error);
      if (!end) {
        std::fprintf(stderr, "tiendo backtest: --time-zone: %s\n", error.c_str());
        return 2;
      }
      auto loaded = store::load_snapshot(
          *db, *rules,
          {.threads = 0, .known_at = *end, .through = {}, .base = nullptr, .cancel = nullptr});
      if (auto* failure = std::get_if<store::DbError>(&loaded)) {
        std::fprintf(stderr, "tiendo backtest: %s\n", failure->message.c_str());
        return 1;
      }
      known_then.emplace(std::move(std::get<store::Snapshot>(loaded)));
    }
    const store::Snapshot& snapshot = known_then ? *known_then : inputs->snapshot;
    const eval::Results results = eval::evaluate(*rules, snapshot, date, {.keep_used = false});
    for (const eval::RuleResult& r : results.rules) {
      record(fmt::format("rule\t{}\t{}", rules->rules[static_cast<std::size_t>(r.rule)].name,
                         r.unit < 0 ? "-" : snapshot.units()[static_cast<std::size_t>(r.unit)].id),
             date, to_string(r.state), &r);
    }
    for (const eval::TaskResult& t : results.tasks) {
      record(fmt::format("task\t{}\t-", rules->tasks[static_cast<std::size_t>(t.task)].name), date,
             to_string(t.state), nullptr);
    }
  }

  if (options.format == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const std::string& key : order) {
      nlohmann::json list = nlohmann::json::array();
      for (const Change& c : changes[key]) {
        nlohmann::json change = {{"since", model::to_string(c.date)}, {"state", c.state}};
        if (!c.target.empty()) change["target"] = c.target;
        list.push_back(std::move(change));
      }
      const auto first = key.find('\t');
      const auto second = key.find('\t', first + 1);
      const std::string unit = key.substr(second + 1);
      out.push_back({{"kind", key.substr(0, first)},
                     {"name", key.substr(first + 1, second - first - 1)},
                     {"unit", unit == "-" ? nlohmann::json() : nlohmann::json(unit)},
                     {"changes", list}});
    }
    std::puts(out.dump(2).c_str());
    return 0;
  }
  std::printf("%zu evaluations from %s to %s, every %s\n", dates.size(),
              model::to_string(*from).c_str(), model::to_string(*to).c_str(),
              model::to_string(*step).c_str());
  std::vector<std::vector<std::string>> rows = {{"KIND", "NAME", "UNIT", "STATES"}};
  for (const std::string& key : order) {
    std::string history;
    for (const Change& c : changes[key]) {
      history +=
          fmt::format("{}{} since {}{}", history.empty() ? "" : "; ", c.state,
                      model::to_string(c.date), c.target.empty() ? "" : ", target " + c.target);
    }
    const auto first = key.find('\t');
    const auto second = key.find('\t', first + 1);
    rows.push_back({key.substr(0, first), key.substr(first + 1, second - first - 1),
                    key.substr(second + 1), history});
  }
  std::fputs(present::table(rows).c_str(), stdout);
  return 0;
}

}  // namespace

Action add_backtest_command(CLI::App& app) {
  auto options = std::make_shared<BacktestOptions>();
  CLI::App* command = app.add_subcommand(
      "backtest", "Evaluate at every step between two dates and show when states changed");
  command->add_option("--db", options->db, kDatabaseHelp)->required();
  command->add_option("--rules", options->rules, "A rule file or directory (repeatable)")
      ->required()
      ->allow_extra_args(false);
  command->add_option("--from", options->from, "First date")->required();
  command->add_option("--to", options->to, "Last date")->required();
  command->add_option("--step", options->step, "Step: 1d, 2w, 1m (default), 1y");
  command->add_option("--format", options->format, "Output format")
      ->check(CLI::IsMember({"table", "json"}));
  CLI::Option* known_at = command->add_option("--known-at", options->known_at, kKnownAtHelp);
  command
      ->add_flag("--as-known", options->as_known,
                 "Evaluate each date with only what had been ingested by the end of that day "
                 "(in --time-zone): the honest backtest")
      ->excludes(known_at);
  command->add_option("--time-zone", options->time_zone,
                      "Time zone of --as-known's days and of a --known-at date (default "
                      "Asia/Ho_Chi_Minh)");
  return [options] { return run_backtest(*options); };
}

}  // namespace tiendo::cli
