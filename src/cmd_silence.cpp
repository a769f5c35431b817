// `tiendo silence add|list|expire` and `tiendo outbox list`: the operator's view of the
// alert stage's durable state.
#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "alert/ledger.hpp"
#include "cli_support.hpp"
#include "commands.hpp"
#include "delivery_options.hpp"
#include "notify/outbox.hpp"
#include "present/markup.hpp"
#include "util/result.hpp"
#include "util/text.hpp"

namespace tiendo::cli {

namespace {

struct SilenceOptions {
  std::string db;
  std::vector<std::string> matchers;
  std::string starts;
  std::string ends;
  std::string duration;
  std::string author;
  std::string comment;
  bool all = false;
  std::int64_t id = 0;
  std::string format = "table";
};

std::optional<store::Database> open_db(std::string_view command, const std::string& path,
                                       store::Database::Mode mode) {
  auto opened = store::Database::open(path, mode);
  if (auto* error = std::get_if<store::DbError>(&opened)) {
    std::fprintf(stderr, "tiendo %.*s: %s\n", static_cast<int>(command.size()), command.data(),
                 error->message.c_str());
    return std::nullopt;
  }
  return std::move(std::get<store::Database>(opened));
}

int silence_add(const SilenceOptions& o) {
  std::string why;
  const std::optional<alert::Silence> silence = alert::make_silence(
      {o.matchers, o.starts, o.ends, o.duration, o.author, o.comment}, now_utc(), why);
  if (!silence) {
    // The request's field names are the options' names.
    std::fprintf(stderr, "tiendo silence add: --%s\n", why.c_str());
    return 2;
  }
  const alert::Silence& s = *silence;
  auto db = open_db("silence add", o.db, store::Database::Mode::existing);
  if (!db) return 1;
  TIENDO_ASSIGN_OR_ELSE(const std::optional<std::int64_t> added, alert::add_silence(*db, s),
                        exit_on_error("silence add"));
  if (!added) {
    std::fprintf(stderr,
                 "tiendo silence add: %lld silences are in effect or still to come; expire one "
                 "(tiendo silence expire ID) before adding another\n",
                 static_cast<long long>(alert::kMaxLiveSilences));
    return 1;
  }
  std::printf("silence %lld until %s\n", static_cast<long long>(*added), s.ends_at.c_str());
  return 0;
}

int silence_list(const SilenceOptions& o) {
  auto db = open_db("silence list", o.db, store::Database::Mode::read_only);
  if (!db) return 1;
  auto silences = alert::load_silences(*db, o.all);
  if (auto* error = std::get_if<store::DbError>(&silences)) {
    std::fprintf(stderr, "tiendo silence list: %s\n", error->message.c_str());
    return 1;
  }
  const std::string now = now_utc();
  const auto status = [&](const alert::Silence& s) -> std::string {
    if (s.expired_at) return "expired " + *s.expired_at;
    return std::string(alert::silence_status(s, now));
  };
  // Without --all, the silences in effect or still to come, in both formats.
  std::vector<alert::Silence> list;
  for (alert::Silence& s : std::get<std::vector<alert::Silence>>(silences)) {
    if (o.all || s.ends_at > now) list.push_back(std::move(s));
  }
  if (o.format == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const alert::Silence& s : list) out.push_back(alert::silence_json(s, now));
    std::puts(out.dump(2).c_str());
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {
      {"ID", "STATUS", "MATCHERS", "STARTS", "ENDS", "AUTHOR", "COMMENT"}};
  for (const alert::Silence& s : list) {
    std::string matchers;
    for (const auto& m : s.matchers)
      matchers += (matchers.empty() ? "" : ",") + alert::to_string(m);
    rows.push_back(
        {std::to_string(s.id), status(s), matchers, s.starts_at, s.ends_at, s.author, s.comment});
  }
  std::fputs(present::table(rows).c_str(), stdout);
  return 0;
}

int silence_expire(const SilenceOptions& o) {
  auto db = open_db("silence expire", o.db, store::Database::Mode::existing);
  if (!db) return 1;
  TIENDO_ASSIGN_OR_ELSE(const bool expired, alert::expire_silence(*db, o.id, now_utc()),
                        exit_on_error("silence expire"));
  if (!expired) {
    std::fprintf(stderr, "tiendo silence expire: there is no active silence %lld\n",
                 static_cast<long long>(o.id));
    return 1;
  }
  std::printf("silence %lld expired\n", static_cast<long long>(o.id));
  return 0;
}

struct OutboxOptions {
  std::string db;
  std::string state = "dead";
  std::size_t limit = 100;
  std::string format = "table";
};

int outbox_list(const OutboxOptions& o) {
  auto db = open_db("outbox list", o.db, store::Database::Mode::read_only);
  if (!db) return 1;
  notify::Outbox outbox(*db);
  TIENDO_ASSIGN_OR_ELSE(const std::vector<notify::OutboxRow> list,
                        outbox.list(o.state == "all" ? "" : o.state, o.limit),
                        exit_on_error("outbox list"));
  // Delivery caps every error it records; a row written by an older tiendo is capped here.
  if (o.format == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : list) {
      out.push_back({{"id", r.id},
                     {"run_id", r.run_id},
                     {"channel", r.channel},
                     {"kind", r.kind},
                     {"idempotency_key", r.idempotency_key},
                     {"state", store::to_string(r.state)},
                     {"attempts", r.attempts},
                     {"next_attempt_at", r.next_attempt_at},
                     {"last_error", util::cap_utf8(r.last_error, notify::kMaxErrorBytes)},
                     {"last_status", r.last_status ? nlohmann::json(*r.last_status) : nullptr},
                     {"created_at", r.created_at},
                     {"last_attempt_at", r.last_attempt_at},
                     {"delivered_at", r.delivered_at}});
    }
    std::puts(out.dump(2).c_str());
    return 0;
  }
  std::vector<std::vector<std::string>> rows_out = {
      {"ID", "RUN", "CHANNEL", "KIND", "STATE", "ATTEMPTS", "CREATED", "NEXT", "LAST ERROR"}};
  for (const auto& r : list) {
    rows_out.push_back(
        {std::to_string(r.id), std::to_string(r.run_id), r.channel, r.kind,
         std::string(store::to_string(r.state)), std::to_string(r.attempts), r.created_at,
         r.state == store::OutboxState::pending ? r.next_attempt_at : "-",
         r.last_error.empty() ? "-" : util::cap_for_display(r.last_error, notify::kMaxErrorBytes)});
  }
  std::fputs(present::table(rows_out).c_str(), stdout);
  return 0;
}

}  // namespace

Action add_silence_command(CLI::App& app) {
  auto o = std::make_shared<SilenceOptions>();
  auto action = std::make_shared<Action>();
  CLI::App* command =
      app.add_subcommand("silence", "Silence alerts for a while, list or end silences");
  command->require_subcommand(1);
  CLI::App* add =
      command->add_subcommand("add", "Add a silence (durable once the command returns)");
  add->add_option("--db", o->db, kDatabaseHelp)->required();
  add->add_option("--match", o->matchers,
                  "NAME=VALUE, NAME!=VALUE, NAME=~REGEX or NAME!~REGEX on rule, task, unit, "
                  "owner, severity, state or a rule label (repeatable; all must match)")
      ->required();
  add->add_option("--starts", o->starts, "Start, UTC (default now), e.g. 2026-11-28T10:00:00Z");
  add->add_option("--ends", o->ends, "End, UTC");
  add->add_option("--duration", o->duration, "Or how long: 2h, 7d");
  add->add_option("--author", o->author, "Who silences")->required();
  add->add_option("--comment", o->comment, "Why")->required();
  add->callback([o, action] { *action = [o] { return silence_add(*o); }; });
  CLI::App* list = command->add_subcommand("list", "List the silences in force or to come");
  list->add_option("--db", o->db, kDatabaseHelp)->required();
  list->add_flag("--all", o->all, "Ended and expired silences too");
  list->add_option("--format", o->format, "Output format")->check(CLI::IsMember({"table", "json"}));
  list->callback([o, action] { *action = [o] { return silence_list(*o); }; });
  CLI::App* expire = command->add_subcommand("expire", "End a silence now");
  expire->add_option("--db", o->db, kDatabaseHelp)->required();
  expire->add_option("id", o->id, "The silence's id")->required();
  expire->callback([o, action] { *action = [o] { return silence_expire(*o); }; });
  return [action] { return *action ? (*action)() : 2; };
}

Action add_outbox_command(CLI::App& app) {
  auto o = std::make_shared<OutboxOptions>();
  CLI::App* command = app.add_subcommand("outbox", "Look at the delivery outbox");
  command->require_subcommand(1);
  CLI::App* list = command->add_subcommand(
      "list", "List outbox messages: dead letters by default, or --state pending|delivered|all");
  list->add_option("--db", o->db, kDatabaseHelp)->required();
  list->add_option("--state", o->state, "dead (default), pending, delivered or all")
      ->check(CLI::IsMember({"dead", "pending", "delivered", "all"}));
  list->add_option("--limit", o->limit, "At most this many, newest first (default 100)");
  list->add_option("--format", o->format, "Output format")->check(CLI::IsMember({"table", "json"}));
  return [o] { return outbox_list(*o); };
}

}  // namespace tiendo::cli
