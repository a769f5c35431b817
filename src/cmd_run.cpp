// `tiendo run`: evaluate, reconcile the alerts and record the run in one transaction,
// then deliver what is due (this run's messages and earlier runs' retries).
// `tiendo deliver`: only the delivery.
#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "alert/ledger.hpp"
#include "alert/rewind.hpp"
#include "cli_support.hpp"
#include "commands.hpp"
#include "delivery_options.hpp"
#include "eval/evaluate.hpp"
#include "notify/redact.hpp"
#include "util/result.hpp"

namespace tiendo::cli {

namespace {

struct RunOptions {
  std::string db;
  std::vector<std::string> rules;
  std::optional<std::string> at;  // unset: today; set, even to "", it must be a date
  std::string time_zone = "Asia/Ho_Chi_Minh";
  int max_days_ahead = 1;
  bool dry_run = false;
  std::string format = "table";
  DeliveryOptions delivery;
};

// What --dry-run shows of one message: the text people would read, and the URL it
// would go to as every other output shows it (redacted: it may be a credential).
std::string show_message(const store::OutboxMessage& m) {
  const auto post = [&](const std::string& url, const std::string& body) {
    const nlohmann::json json = nlohmann::json::parse(body, nullptr, false);
    return fmt::format("== {} (POST {}, webhook-id {})\n{}\n", m.channel, notify::redact_url(url),
                       m.idempotency_key, json.is_discarded() ? body : json.dump(2));
  };
  if (const auto* email = std::get_if<store::EmailPayload>(&m.payload)) {
    return fmt::format("== {} (e-mail to {})\nSubject: {}\n\n{}\n", m.channel,
                       nlohmann::json(email->to).dump(), email->subject, email->text);
  }
  if (const auto* webhook = std::get_if<store::WebhookPayload>(&m.payload)) {
    return post(webhook->url, webhook->body);
  }
  const auto& alertmanager = std::get<store::AlertmanagerPayload>(m.payload);
  return post(alertmanager.url, alertmanager.body);
}

int run_run(const RunOptions& options) {
  const std::optional<model::Date> at = evaluation_date("run", options.at, options.time_zone);
  if (!at) return 2;
  std::string zone_error;
  const std::optional<model::Date> today = today_in(options.time_zone, zone_error);
  if (!today) {
    std::fprintf(stderr, "tiendo run: --time-zone: %s\n", zone_error.c_str());
    return 2;
  }
  std::optional<alert::RunDateLimit> limit;
  if (!options.dry_run) limit = alert::RunDateLimit{*today, options.max_days_ahead};
  const auto settings = delivery_settings("run", options.delivery);
  if (!settings) return 2;
  std::optional<EvaluationInputs> inputs =
      load_evaluation_inputs("run", options.rules, options.db, store::Database::Mode::existing);
  if (!inputs) return 1;
  const eval::Results results =
      eval::evaluate(inputs->rules, inputs->snapshot, *at, {.keep_used = false});

  TIENDO_ASSIGN_OR_ELSE(store::Database db,
                        store::Database::open(options.db, store::Database::Mode::existing),
                        exit_on_error("run"));
  // A dry run writes nothing, so it may look at any date, an earlier one than the
  // ledger's included (as the run would have gone then).
  std::optional<model::Date> rewound_from;
  store::DbResult<alert::RunRecord> recorded = store::DbError{};
  if (options.dry_run) {
    auto previewed = alert::preview_run(db, inputs->rules, inputs->snapshot, results, now_utc());
    if (auto* error = std::get_if<store::DbError>(&previewed)) {
      recorded = *error;
    } else {
      rewound_from = std::get<alert::RunPreview>(previewed).rewound_from;
      recorded = std::move(std::get<alert::RunPreview>(previewed).run);
    }
  } else {
    recorded = alert::record_run(db, inputs->rules, inputs->snapshot, results,
                                 {.now = now_utc(), .commit = true, .limit = limit});
  }
  TIENDO_ASSIGN_OR_ELSE(const alert::RunRecord run, std::move(recorded), exit_on_error("run"));
  int fired = 0, changed = 0, repeated = 0, resolved = 0;
  for (const alert::Transition& t : run.output.transitions) {
    if (!t.notify) continue;
    switch (*t.notify) {
      case alert::NotifyKind::fired:
        ++fired;
        break;
      case alert::NotifyKind::changed:
        ++changed;
        break;
      case alert::NotifyKind::repeated:
        ++repeated;
        break;
      case alert::NotifyKind::resolved:
        ++resolved;
        break;
    }
  }
  // The alerts (how many fire, began firing, resolved) and, apart, the notifications
  // (which go only to alerts with a channel, and not when silenced).
  const alert::ReconcileOutput& alerts = run.output;
  const std::string counts = fmt::format(
      "{} results ({} changed), {} alerts firing ({} began firing, {} resolved); "
      "notifications: {} new, {} changed, {} repeated, {} resolved",
      run.results, run.results_changed, alerts.firing, alerts.began_firing, alerts.resolved, fired,
      changed, repeated, resolved);
  if (options.dry_run) {
    for (const store::OutboxMessage& m : run.messages) std::fputs(show_message(m).c_str(), stdout);
    std::printf("dry run at %s: %s; %zu messages not sent, nothing recorded\n",
                model::to_string(*at).c_str(), counts.c_str(), run.messages.size());
    if (rewound_from) {
      std::printf(
          "(the alerts were last evaluated at %s: this is the run at %s as it would have gone "
          "before the later runs; a real run there is refused)\n",
          model::to_string(*rewound_from).c_str(), model::to_string(*at).c_str());
    }
    return 0;
  }
  notify::DeliveryReport report;
  if (!deliver_and_report("run", db, *settings, report)) return 1;
  if (options.format == "json") {
    nlohmann::json out = {
        {"run_id", run.run_id},
        {"at", model::to_string(*at)},
        {"results", run.results},
        {"results_changed", run.results_changed},
        {"firing", alerts.firing},
        {"began_firing", alerts.began_firing},
        {"resolved", alerts.resolved},
        {"notifications",
         {{"fired", fired}, {"changed", changed}, {"repeated", repeated}, {"resolved", resolved}}},
        {"messages", run.messages.size()},
        {"delivery",
         {{"delivered", report.delivered}, {"retrying", report.retrying}, {"dead", report.dead}}}};
    std::puts(out.dump(2).c_str());
  } else {
    std::printf("run %lld at %s: %s; %zu messages queued\n", static_cast<long long>(run.run_id),
                model::to_string(*at).c_str(), counts.c_str(), run.messages.size());
    std::printf("delivery: %zu delivered, %zu to retry, %zu given up\n", report.delivered,
                report.retrying, report.dead);
  }
  return 0;
}

struct DeliverOptions {
  std::string db;
  DeliveryOptions delivery;
};

int run_deliver(const DeliverOptions& options) {
  const auto settings = delivery_settings("deliver", options.delivery);
  if (!settings) return 2;
  TIENDO_ASSIGN_OR_ELSE(store::Database db,
                        store::Database::open(options.db, store::Database::Mode::existing),
                        exit_on_error("deliver"));
  notify::DeliveryReport report;
  if (!deliver_and_report("deliver", db, *settings, report)) {
    return 1;
  }
  std::printf("delivery: %zu delivered, %zu to retry, %zu given up\n", report.delivered,
              report.retrying, report.dead);
  return 0;
}

}  // namespace

Action add_run_command(CLI::App& app) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* command = app.add_subcommand(
      "run",
      "Evaluate, update the alerts and queue their messages in one transaction, then "
      "deliver what is due");
  command->add_option("--db", options->db, kDatabaseHelp)->required();
  command->add_option("--rules", options->rules, "A rule file or directory (repeatable)")
      ->required()
      ->allow_extra_args(false);
  command->add_option("--at", options->at, "The evaluation date (default: today)");
  command->add_option("--time-zone", options->time_zone,
                      "Time zone that decides today's date (default Asia/Ho_Chi_Minh)");
  command
      ->add_option("--max-days-ahead", options->max_days_ahead,
                   "How many days past today a recorded run may be dated (default 1)")
      ->check(CLI::Range(0, 366));
  command->add_flag("--dry-run", options->dry_run,
                    "Print the messages instead of sending them; record nothing");
  command->add_option("--format", options->format, "Output format")
      ->check(CLI::IsMember({"table", "json"}));
  add_delivery_options(*command, options->delivery);
  return [options] { return run_run(*options); };
}

Action add_deliver_command(CLI::App& app) {
  auto options = std::make_shared<DeliverOptions>();
  CLI::App* command =
      app.add_subcommand("deliver", "Send the outbox messages that are due (retries included)");
  command->add_option("--db", options->db, kDatabaseHelp)->required();
  add_delivery_options(*command, options->delivery);
  return [options] { return run_deliver(*options); };
}

}  // namespace tiendo::cli
