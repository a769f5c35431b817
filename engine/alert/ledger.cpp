#include "alert/ledger.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <unordered_map>
#include <nlohmann/json.hpp>

#include "alert/message.hpp"
#include "util/text.hpp"

namespace tiendo::alert {

namespace {

using store::Database;
using store::DbError;
using store::DbResult;
using store::Statement;
using Json = nlohmann::json;

std::optional<model::Date> date_or_none(const Statement& s, int column) {
  if (s.column_is_null(column)) return std::nullopt;
  return model::parse_iso_date(s.column_text(column));
}

std::optional<model::Severity> parse_severity(std::string_view text) {
  for (model::Severity s : {model::Severity::none, model::Severity::info, model::Severity::warning,
                            model::Severity::critical}) {
    if (model::to_string(s) == text) return s;
  }
  return std::nullopt;
}

Json figure(const eval::Figure& f) { return f ? Json(*f) : Json(nullptr); }

Json matchers_json(const std::vector<Matcher>& matchers) {
  Json out = Json::array();
  for (const Matcher& m : matchers)
    out.push_back({{"name", m.name}, {"op", m.op}, {"value", m.value}});
  return out;
}

std::string_view kind_name(model::Channel::Kind kind) {
  switch (kind) {
    case model::Channel::Kind::email:
      return "email";
    case model::Channel::Kind::webhook:
      return "webhook";
    case model::Channel::Kind::alertmanager:
      return "alertmanager";
  }
  return "webhook";
}

// Runs `statement` to completion, turning a failure into the error to return.
std::optional<DbError> run(Statement& statement) {
  if (!statement.run()) return statement.error().value_or(DbError{"a statement failed"});
  return std::nullopt;
}

}  // namespace

namespace {

constexpr std::string_view kAlertColumns =
    "fingerprint, subject, name, ifnull(unit, ''), state, severity, lifecycle, since, "
    "firing_since, last_notified, ifnull(evaluated, since)";

// The alerts a query on kAlertColumns gives.
DbResult<std::vector<AlertRecord>> alerts_of(Statement& q) {
  std::vector<AlertRecord> out;
  while (q.step()) {
    AlertRecord a;
    a.fingerprint = q.column_text(0);
    const auto subject = parse_subject(q.column_view(1));
    const auto severity = parse_severity(q.column_view(5));
    const auto lifecycle = parse_lifecycle(q.column_view(6));
    const auto since = model::parse_iso_date(q.column_text(7));
    const auto evaluated = model::parse_iso_date(q.column_text(10));
    if (!subject || !severity || !lifecycle || !since || !evaluated) {
      return DbError{fmt::format("alert {} in the store is malformed", a.fingerprint)};
    }
    a.subject = *subject;
    a.name = q.column_text(2);
    a.unit = q.column_text(3);
    a.state = q.column_text(4);
    a.severity = *severity;
    a.lifecycle = *lifecycle;
    a.since = *since;
    a.firing_since = date_or_none(q, 8);
    a.last_notified = date_or_none(q, 9);
    a.evaluated = *evaluated;
    out.push_back(std::move(a));
  }
  if (q.error()) return *q.error();
  return out;
}

}  // namespace

DbResult<std::vector<AlertRecord>> load_alerts(Database& db, bool open_only) {
  Statement q = db.prepare(fmt::format("SELECT {} FROM alerts{} ORDER BY fingerprint",
                                       kAlertColumns,
                                       open_only ? " WHERE lifecycle != 'resolved'" : ""));
  return alerts_of(q);
}

DbResult<AlertPage> list_alerts(Database& db, const AlertQuery& query) {
  // `!= 'resolved'` (pending or firing) as the open alerts' index says it, and the order
  // as the indexes of migration 4 keep it, so that a page is read, not sorted.
  std::string where = "WHERE 1";
  std::vector<std::string> binds;
  switch (query.set) {
    case AlertQuery::Set::open:
      where += " AND lifecycle != 'resolved'";
      break;
    case AlertQuery::Set::all:
      break;
    default:
      where += " AND lifecycle = ?";
      binds.emplace_back(query.set == AlertQuery::Set::pending  ? "pending"
                         : query.set == AlertQuery::Set::firing ? "firing"
                                                                : "resolved");
  }
  if (query.severity) {
    where += " AND severity = ?";
    binds.emplace_back(model::to_string(*query.severity));
  }
  if (!query.rule.empty()) {
    where += " AND subject = 'rule' AND name = ?";
    binds.push_back(query.rule);
  }
  if (!query.unit.empty()) {
    where += " AND unit = ?";
    binds.push_back(query.unit);
  }
  Statement count = db.prepare("SELECT count(*) FROM alerts " + where);
  Statement rows = db.prepare(fmt::format(
      "SELECT {} FROM alerts {} ORDER BY (CASE severity WHEN 'critical' THEN 0 WHEN 'warning' "
      "THEN 1 ELSE 2 END), since, fingerprint LIMIT ? OFFSET ?",
      kAlertColumns, where));
  for (std::size_t i = 0; i < binds.size(); ++i) {
    count.bind(static_cast<int>(i + 1), binds[i]);
    rows.bind(static_cast<int>(i + 1), binds[i]);
  }
  rows.bind(static_cast<int>(binds.size() + 1), static_cast<std::int64_t>(query.limit));
  rows.bind(static_cast<int>(binds.size() + 2), static_cast<std::int64_t>(query.offset));
  AlertPage page;
  if (!count.step()) return count.error().value_or(DbError{"cannot count the alerts"});
  page.total = count.column_int(0);
  auto alerts = alerts_of(rows);
  if (auto* error = std::get_if<DbError>(&alerts)) return *error;
  page.alerts = std::move(std::get<std::vector<AlertRecord>>(alerts));
  return page;
}

namespace {
// What is wrong with a silence's author or comment, if anything.
std::optional<std::string> text_field_problem(std::string_view text, std::size_t max_bytes,
                                              bool lines) {
  if (text.size() > max_bytes) {
    return fmt::format("{} bytes; at most {}", text.size(), max_bytes);
  }
  if (auto at = util::find_invalid_utf8(text)) {
    return fmt::format("not UTF-8 (byte {})", *at + 1);
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if ((byte < 0x20 || byte == 0x7F) && !(lines && (byte == '\t' || byte == '\n' || byte == '\r'))) {
      return fmt::format("a control character (0x{:02X}) at byte {}; {}", byte, i + 1,
                         lines ? "a comment may hold tabs and line breaks but no other"
                               : "an author holds none");
    }
  }
  return std::nullopt;
}
}  // namespace

std::optional<Silence> make_silence(const SilenceRequest& request, std::string_view now,
                                    std::string& error) {
  Silence s;
  if (request.matchers.size() > kMaxSilenceMatchers) {
    error = fmt::format("match: {} matchers; a silence has at most {}", request.matchers.size(),
                        kMaxSilenceMatchers);
    return std::nullopt;
  }
  for (const std::string& text : request.matchers) {
    std::string why;
    auto m = parse_matcher(text, why);
    if (!m) {
      error = "match: " + why;
      return std::nullopt;
    }
    s.matchers.push_back(*m);
  }
  if (s.matchers.empty()) {
    error = "match: give at least one matcher (e.g. rule=smartphone_2022); a silence of "
            "everything is not allowed";
    return std::nullopt;
  }
  s.created_at = std::string(now);
  s.starts_at = request.starts.empty() ? std::string(now) : request.starts;
  const auto starts = model::parse_utc(s.starts_at);
  if (!starts) {
    error = fmt::format("starts: '{}' is not a UTC time such as 2026-11-28T10:00:00Z", s.starts_at);
    return std::nullopt;
  }
  if (request.ends.empty() == request.duration.empty()) {
    error = "duration: give exactly one of ends and duration";
    return std::nullopt;
  }
  if (!request.ends.empty()) {
    if (!model::parse_utc(request.ends)) {
      error = fmt::format("ends: '{}' is not a UTC time such as 2026-11-28T10:00:00Z", request.ends);
      return std::nullopt;
    }
    s.ends_at = request.ends;
  } else {
    // At most ten years, so that starts (at most 2200) + duration fits the clock.
    std::string why;
    const auto d = model::parse_clock_duration(request.duration, why);
    if (!d) {
      error = "duration: " + why;
      return std::nullopt;
    }
    s.ends_at = model::format_utc(*starts + *d);
  }
  if (s.ends_at <= s.starts_at) {
    error = fmt::format("ends: the silence ends ({}) before it starts ({})", s.ends_at, s.starts_at);
    return std::nullopt;
  }
  if (auto why = text_field_problem(request.author, kMaxSilenceAuthorBytes, false)) {
    error = "author: " + *why;
    return std::nullopt;
  }
  if (auto why = text_field_problem(request.comment, kMaxSilenceCommentBytes, true)) {
    error = "comment: " + *why;
    return std::nullopt;
  }
  s.author = request.author;
  s.comment = request.comment;
  return s;
}

std::string_view silence_status(const Silence& silence, std::string_view now) {
  if (silence.expired_at) return "expired";
  if (silence.ends_at <= now) return "ended";
  if (silence.starts_at > now) return "pending";
  return "active";
}

Json silence_json(const Silence& s, std::string_view now) {
  Json matchers = Json::array();
  for (const Matcher& m : s.matchers) matchers.push_back(to_string(m));
  return {{"id", s.id},
          {"matchers", matchers},
          {"starts_at", s.starts_at},
          {"ends_at", s.ends_at},
          {"author", s.author},
          {"comment", s.comment},
          {"created_at", s.created_at},
          {"expired_at", s.expired_at ? Json(*s.expired_at) : Json()},
          {"status", silence_status(s, now)}};
}

DbResult<std::optional<std::int64_t>> add_silence(Database& db, const Silence& silence) {
  store::Transaction tx(db);
  if (tx.error()) return *tx.error();
  // Counted in the transaction that inserts, so that two writers cannot both pass.
  Statement live = db.prepare(
      "SELECT count(*) FROM silences WHERE expired_at IS NULL AND ends_at > ?");
  live.bind(1, silence.created_at);
  if (!live.step()) return live.error() ? *live.error() : DbError{"counting silences failed"};
  if (live.column_int(0) >= kMaxLiveSilences) return std::optional<std::int64_t>();
  Statement insert = db.prepare(R"sql(
INSERT INTO silences (matchers, starts_at, ends_at, author, comment, created_at)
VALUES (?, ?, ?, ?, ?, ?))sql");
  insert.bind(1, matchers_json(silence.matchers).dump())
      .bind(2, silence.starts_at)
      .bind(3, silence.ends_at)
      .bind(4, silence.author)
      .bind(5, silence.comment)
      .bind(6, silence.created_at);
  if (auto error = run(insert)) return *error;
  const std::int64_t id = sqlite3_last_insert_rowid(db.handle());
  if (auto error = tx.commit()) return *error;
  return std::optional<std::int64_t>(id);
}

DbResult<std::vector<Silence>> load_silences(Database& db, bool include_expired) {
  Statement q = db.prepare(std::string(R"sql(
SELECT id, matchers, starts_at, ends_at, author, comment, created_at, expired_at
FROM silences)sql") + (include_expired ? "" : " WHERE expired_at IS NULL") +
                           " ORDER BY id");
  std::vector<Silence> out;
  while (q.step()) {
    Silence s;
    s.id = q.column_int(0);
    const Json matchers = Json::parse(q.column_view(1), nullptr, false);
    if (!matchers.is_array())
      return DbError{fmt::format("silence {} has malformed matchers", s.id)};
    for (const Json& m : matchers) {
      if (!m.is_object() || !m.contains("name") || !m.contains("op") || !m.contains("value") ||
          !m["name"].is_string() || !m["op"].is_string() || !m["value"].is_string()) {
        return DbError{fmt::format("silence {} has malformed matchers", s.id)};
      }
      // Compiled here, once per load, not once per alert matched. A pattern that RE2
      // refuses (one stored for another syntax, or past today's limits) is kept without
      // its compiled form: listed as it was, and matching no alert.
      std::string why;
      auto matcher = make_matcher(m["name"].get<std::string>(), m["op"].get<std::string>(),
                                  m["value"].get<std::string>(), why);
      if (!matcher) {
        matcher.emplace();
        matcher->name = m["name"].get<std::string>();
        matcher->op = m["op"].get<std::string>();
        matcher->value = m["value"].get<std::string>();
      }
      s.matchers.push_back(std::move(*matcher));
    }
    s.starts_at = q.column_text(2);
    s.ends_at = q.column_text(3);
    s.author = q.column_text(4);
    s.comment = q.column_text(5);
    s.created_at = q.column_text(6);
    if (!q.column_is_null(7)) s.expired_at = q.column_text(7);
    out.push_back(std::move(s));
  }
  if (q.error()) return *q.error();
  return out;
}

DbResult<bool> expire_silence(Database& db, std::int64_t id, std::string_view now) {
  store::Transaction tx(db);
  if (tx.error()) return *tx.error();
  Statement update = db.prepare(
      "UPDATE silences SET expired_at = ? WHERE id = ? AND expired_at IS NULL AND ends_at > ?");
  update.bind(1, now).bind(2, id).bind(3, now);
  if (auto error = run(update)) return *error;
  const bool changed = sqlite3_changes(db.handle()) > 0;
  if (auto error = tx.commit()) return *error;
  return changed;
}

DbResult<std::string> store_identity(Database& db) {
  Statement q = db.prepare("SELECT id FROM store_identity");
  if (q.step()) return q.column_text(0);
  if (q.error()) return *q.error();
  return DbError{"the database has no store identity (store_identity is empty)"};
}

std::vector<OutboxMessage> messages_of(const model::RuleSet& rules, const ReconcileOutput& output,
                                       std::string_view now, std::string_view store) {
  std::vector<OutboxMessage> out;
  for (const Digest& d : output.digests) {
    const model::Index index = rules.find_channel(d.channel);
    if (index == model::kNone) continue;
    const model::Channel& channel = rules.channels[static_cast<std::size_t>(index)];
    OutboxMessage m;
    m.channel = d.channel;
    m.kind = channel.kind;
    m.idempotency_key = store.empty()
                            ? fmt::format("tiendo-run{}-{}", d.run_id, d.channel)
                            : fmt::format("tiendo-{}-run{}-{}", store, d.run_id, d.channel);
    Json payload;
    switch (channel.kind) {
      case model::Channel::Kind::email: {
        const EmailContent email = render_email(d);
        payload = {{"to", channel.emails},
                   {"subject", email.subject},
                   {"text", email.text},
                   {"html", email.html}};
        break;
      }
      case model::Channel::Kind::webhook:
        payload = {
            {"url", channel.url},
            {"secret_env", channel.secret_env},
            {"format",
             channel.format == model::Channel::Format::alertmanager ? "alertmanager" : "native"},
            {"body", channel.format == model::Channel::Format::alertmanager
                         ? render_alertmanager_webhook(d, now)
                         : render_webhook(d)}};
        break;
      case model::Channel::Kind::alertmanager: {
        std::string url = channel.url;
        while (!url.empty() && url.back() == '/') url.pop_back();
        payload = {{"url", url + "/api/v2/alerts"}, {"body", render_alertmanager_push(d, now)}};
        break;
      }
    }
    m.payload = payload.dump();
    out.push_back(std::move(m));
  }
  return out;
}

model::Date RunDateLimit::latest() const {
  return model::Date(today.time_since_epoch() + std::chrono::days(std::max(max_days_ahead, 0)));
}

std::optional<DbError> run_date_error(model::Date at, const RunDateLimit& limit) {
  if (at <= limit.latest()) return std::nullopt;
  return DbError{fmt::format(
      "a run at {} is refused: it is more than {} day{} past today ({}), and recording it "
      "would make every later run at the right date a rewind; look at that date with "
      "`tiendo eval` instead (the limit is max_days_ahead)",
      model::to_string(at), std::max(limit.max_days_ahead, 0),
      limit.max_days_ahead == 1 ? "" : "s", model::to_string(limit.today))};
}

DbResult<std::optional<model::Date>> ledger_date(Database& db) {
  Statement q = db.prepare(
      "SELECT max(ifnull(evaluated, since)) FROM alerts WHERE lifecycle != 'resolved'");
  if (!q.step()) return q.error().value_or(DbError{"cannot read the alerts"});
  if (q.column_is_null(0)) return std::optional<model::Date>();
  const auto date = model::parse_iso_date(q.column_text(0));
  if (!date) return DbError{"an alert in the store has a malformed evaluation date"};
  return std::optional<model::Date>(*date);
}

namespace {

DbError rewind_refused(model::Date last, model::Date at) {
  return DbError{fmt::format(
      "the alerts were last evaluated at {}; a run at {} would rewind them. To look at "
      "that date, use `tiendo eval --at {}`, `tiendo backtest` or `tiendo run --dry-run`, "
      "which record nothing; to record it anyway, `tiendo ledger rewind --to {}` first "
      "(it voids the later runs)",
      model::to_string(last), model::to_string(at), model::to_string(at), model::to_string(at))};
}

// A run at `at` would rewind the alerts when an open one was last evaluated later. The
// cheap early check; load_and_reconcile checks the loaded alerts again.
std::optional<DbError> rewind_error(Database& db, model::Date at) {
  auto latest = ledger_date(db);
  if (auto* error = std::get_if<DbError>(&latest)) return *error;
  const std::optional<model::Date>& last = std::get<std::optional<model::Date>>(latest);
  if (!last || *last <= at) return std::nullopt;
  return rewind_refused(*last, at);
}

DbResult<std::int64_t> insert_run(Database& db, model::Date at, std::string_view now,
                                  std::string_view status) {
  Statement insert = db.prepare(
      "INSERT INTO runs (at_date, started_at, finished_at, status, undo_log) VALUES (?, ?, ?, ?, "
      "1)");
  insert.bind(1, model::to_string(at)).bind(2, now);
  if (status == "running") {
    insert.bind_null(3);
  } else {
    insert.bind(3, now);
  }
  insert.bind(4, status);
  if (auto error = run(insert)) return *error;
  return static_cast<std::int64_t>(sqlite3_last_insert_rowid(db.handle()));
}

// Results [from, from + count) of the run, counting the rules' results first and then
// the tasks'; returns how many were written.
DbResult<std::size_t> insert_results(Database& db, std::int64_t run_id,
                                     const model::RuleSet& rules, const store::Snapshot& snapshot,
                                     const eval::Results& results, std::size_t from,
                                     std::size_t count) {
  const std::size_t total = results.rules.size() + results.tasks.size();
  const std::size_t end = from >= total ? from : from + std::min(count, total - from);
  Statement insert_result = db.prepare(
      "INSERT INTO results (run_id, subject, name, unit, state, detail) VALUES (?, ?, ?, ?, ?, ?)");
  for (std::size_t i = from; i < end; ++i) {
    insert_result.reset();
    insert_result.bind(1, run_id);
    if (i < results.rules.size()) {
      const eval::RuleResult& r = results.rules[i];
      const model::Rule& rule = rules.rules[static_cast<std::size_t>(r.rule)];
      Json detail = {{"severity", model::to_string(r.severity)},
                     {"value", figure(r.value)},
                     {"target", figure(r.target)},
                     {"upper", figure(r.upper)},
                     {"deadline", r.deadline ? Json(model::to_string(*r.deadline)) : Json(nullptr)},
                     {"projected", figure(r.projected)},
                     {"rate_needed", figure(r.rate_needed)},
                     {"rate_observed", figure(r.rate_observed)},
                     {"reason", r.reason}};
      insert_result.bind(2, std::string_view("rule")).bind(3, rule.name);
      if (r.unit >= 0) {
        insert_result.bind(4, snapshot.units()[static_cast<std::size_t>(r.unit)].id);
      } else {
        insert_result.bind(4, std::string_view(""));
      }
      insert_result.bind(5, eval::to_string(r.state)).bind(6, detail.dump());
    } else {
      const eval::TaskResult& t = results.tasks[i - results.rules.size()];
      Json detail = {{"due", t.due ? Json(model::to_string(*t.due)) : Json(nullptr)},
                     {"earliest_finish", t.earliest_finish
                                             ? Json(model::to_string(*t.earliest_finish))
                                             : Json(nullptr)},
                     {"progress", t.progress},
                     {"reason", t.reason}};
      insert_result.bind(2, std::string_view("task"))
          .bind(3, rules.tasks[static_cast<std::size_t>(t.task)].name)
          .bind(4, std::string_view(""))
          .bind(5, eval::to_string(t.state))
          .bind(6, detail.dump());
    }
    if (auto error = run(insert_result)) return *error;
  }
  return end - from;
}

// What alerts and silences a reconciliation read: the last successful run, and the
// silences made and ended. Only a run and a silence's start or end change them, and each
// moves one of these; equal tokens mean the same alerts and silences.
struct StateToken {
  std::int64_t last_run = 0, last_silence = 0, silences_ended = 0;
  bool operator==(const StateToken&) const = default;
};

DbResult<StateToken> state_token(Database& db) {
  Statement q = db.prepare(
      "SELECT (SELECT ifnull(max(id), 0) FROM runs WHERE status = 'succeeded'), "
      "(SELECT ifnull(max(id), 0) FROM silences), (SELECT count(expired_at) FROM silences)");
  if (!q.step()) return q.error().value_or(DbError{"cannot read the runs and silences"});
  return StateToken{q.column_int(0), q.column_int(1), q.column_int(2)};
}

// The results reconciled against the open alerts and the silences as the store holds
// them, and the token of what was read (taken first, so that a change committed while
// reading shows as a changed token).
struct Reconciled {
  StateToken token;
  ReconcileInput input;
  ReconcileOutput output;
};

DbResult<Reconciled> load_and_reconcile(Database& db, std::int64_t run_id,
                                        const model::RuleSet& rules,
                                        const store::Snapshot& snapshot,
                                        const eval::Results& results,
                                        const RecordOptions& options) {
  Reconciled out;
  auto token = state_token(db);
  if (auto* error = std::get_if<DbError>(&token)) return *error;
  out.token = std::get<StateToken>(token);
  auto previous = load_alerts(db, /*open_only=*/true);
  if (auto* error = std::get_if<DbError>(&previous)) return *error;
  for (const AlertRecord& a : std::get<std::vector<AlertRecord>>(previous)) {
    if (a.evaluated > results.at) {
      return rewind_refused(a.evaluated, results.at);
    }
  }
  auto silences = load_silences(db, /*include_expired=*/false);
  if (auto* error = std::get_if<DbError>(&silences)) return *error;
  out.input.rules = &rules;
  out.input.snapshot = &snapshot;
  out.input.results = &results;
  out.input.previous = std::move(std::get<std::vector<AlertRecord>>(previous));
  out.input.silences = std::move(std::get<std::vector<Silence>>(silences));
  out.input.now = options.now;
  out.input.run_id = run_id;
  out.output = reconcile(out.input);
  return out;
}

// Under the write lock: writes the alerts' next state, the outbox rows and the
// transitions of a reconciliation.
DbResult<RunRecord> write_reconciled(Database& db, Reconciled reconciled,
                                     const model::RuleSet& rules, const eval::Results& results,
                                     const RecordOptions& options) {
  const ReconcileInput& input = reconciled.input;
  RunRecord record;
  record.run_id = input.run_id;
  record.results = results.rules.size() + results.tasks.size();
  record.output = std::move(reconciled.output);

  // Every open alert of the previous run is in the output (still active, or resolving
  // now) and was evaluated by this run: one statement says so for all of them, and only
  // the alerts whose row changes otherwise are written one by one. (An unchanged alert
  // is most of them on most nights; rewriting each would touch every index of alerts.)
  Statement evaluated = db.prepare(
      "UPDATE alerts SET evaluated = ?1, updated_run = ?2 WHERE lifecycle != 'resolved'");
  evaluated.bind(1, model::to_string(results.at)).bind(2, record.run_id);
  if (auto error = run(evaluated)) return *error;
  std::unordered_map<std::string_view, const AlertRecord*> before;
  for (const AlertRecord& a : input.previous) before.emplace(a.fingerprint, &a);
  const auto unchanged = [&](const AlertRecord& a) {
    const auto it = before.find(a.fingerprint);
    if (it == before.end()) return false;
    AlertRecord was = *it->second;
    was.evaluated = a.evaluated;
    return was == a;
  };

  // The row as it stands before this run rewrites it (none for an alert the run creates),
  // for `tiendo ledger rewind`.
  Statement keep_prior = db.prepare(R"sql(
INSERT INTO alert_prior (run_id, fingerprint, subject, name, unit, state, severity, lifecycle,
  since, last_notified, updated_run, firing_since, evaluated)
SELECT ?1, fingerprint, subject, name, unit, state, severity, lifecycle, since, last_notified,
  updated_run, firing_since, evaluated FROM alerts WHERE fingerprint = ?2)sql");
  Statement upsert = db.prepare(R"sql(
INSERT INTO alerts (fingerprint, subject, name, unit, state, severity, lifecycle, since,
  last_notified, updated_run, firing_since, evaluated)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
ON CONFLICT (fingerprint) DO UPDATE SET subject = ?2, name = ?3, unit = ?4, state = ?5,
  severity = ?6, lifecycle = ?7, since = ?8, last_notified = ?9, updated_run = ?10,
  firing_since = ?11, evaluated = ?12)sql");
  for (const AlertRecord& a : record.output.alerts) {
    if (unchanged(a)) continue;
    keep_prior.reset();
    keep_prior.bind(1, record.run_id).bind(2, a.fingerprint);
    if (auto error = run(keep_prior)) return *error;
    upsert.reset();
    upsert.bind(1, a.fingerprint)
        .bind(2, to_string(a.subject))
        .bind(3, a.name)
        .bind(4, a.unit)
        .bind(5, a.state)
        .bind(6, model::to_string(a.severity))
        .bind(7, to_string(a.lifecycle))
        .bind(8, model::to_string(a.since));
    if (a.last_notified) {
      upsert.bind(9, model::to_string(*a.last_notified));
    } else {
      upsert.bind_null(9);
    }
    upsert.bind(10, record.run_id);
    if (a.firing_since) {
      upsert.bind(11, model::to_string(*a.firing_since));
    } else {
      upsert.bind_null(11);
    }
    upsert.bind(12, model::to_string(a.evaluated));
    if (auto error = run(upsert)) return *error;
  }

  auto identity = store_identity(db);
  if (auto* error = std::get_if<DbError>(&identity)) return *error;
  record.messages = messages_of(rules, record.output, options.now, std::get<std::string>(identity));
  std::map<std::string, std::int64_t> outbox_of_channel;
  Statement insert_outbox = db.prepare(R"sql(
INSERT INTO outbox (run_id, channel, idempotency_key, payload, state, attempts,
  next_attempt_at, created_at, kind)
VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?))sql");
  for (const OutboxMessage& m : record.messages) {
    insert_outbox.reset();
    insert_outbox.bind(1, record.run_id)
        .bind(2, m.channel)
        .bind(3, m.idempotency_key)
        .bind(4, m.payload)
        .bind(5, options.now)
        .bind(6, options.now)
        .bind(7, kind_name(m.kind));
    if (auto error = run(insert_outbox)) return *error;
    outbox_of_channel[m.channel] = sqlite3_last_insert_rowid(db.handle());
  }
  Statement insert_transition = db.prepare(R"sql(
INSERT INTO transitions (run_id, fingerprint, from_lifecycle, to_lifecycle, state, severity,
  notify, silenced_by, channels)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?))sql");
  Statement link =
      db.prepare("INSERT INTO outbox_transitions (outbox_id, transition_id) VALUES (?, ?)");
  for (const Transition& t : record.output.transitions) {
    insert_transition.reset();
    insert_transition.bind(1, record.run_id).bind(2, t.fingerprint);
    if (t.from) {
      insert_transition.bind(3, to_string(*t.from));
    } else {
      insert_transition.bind_null(3);
    }
    insert_transition.bind(4, to_string(t.to))
        .bind(5, t.state)
        .bind(6, model::to_string(t.severity));
    if (t.notify) {
      insert_transition.bind(7, to_string(*t.notify));
    } else {
      insert_transition.bind_null(7);
    }
    if (t.silenced_by) {
      insert_transition.bind(8, *t.silenced_by);
    } else {
      insert_transition.bind_null(8);
    }
    insert_transition.bind(9, Json(t.channels).dump());
    if (auto error = run(insert_transition)) return *error;
    const std::int64_t transition_id = sqlite3_last_insert_rowid(db.handle());
    for (const std::string& channel : t.channels) {
      const auto it = outbox_of_channel.find(channel);
      if (it == outbox_of_channel.end()) {
        return DbError{fmt::format("internal error: no message for channel {} of alert {}", channel,
                                   t.fingerprint)};
      }
      link.reset();
      link.bind(1, it->second).bind(2, transition_id);
      if (auto error = run(link)) return *error;
    }
  }
  return record;
}

// The end of both ways of recording: the reconciliation written, then the commit
// (unless it is a dry run).
DbResult<RunRecord> write_and_commit(Database& db, store::Transaction& tx, Reconciled reconciled,
                                     const model::RuleSet& rules, const eval::Results& results,
                                     const RecordOptions& options) {
  auto record = write_reconciled(db, std::move(reconciled), rules, results, options);
  if (auto* error = std::get_if<DbError>(&record)) return *error;
  if (options.commit) {
    if (auto error = tx.commit()) return *error;
  }
  return record;
}

}  // namespace

DbResult<RunRecord> record_run(Database& db, const model::RuleSet& rules,
                               const store::Snapshot& snapshot, const eval::Results& results,
                               const RecordOptions& options) {
  if (options.limit) {
    if (auto error = run_date_error(results.at, *options.limit)) return *error;
  }
  store::Transaction tx(db);
  if (tx.error()) return *tx.error();
  // Everything below reads and writes under the write lock taken by BEGIN IMMEDIATE, so
  // two runs never reconcile against the same alert state.
  if (auto error = rewind_error(db, results.at)) return *error;
  auto run_id = insert_run(db, results.at, options.now, "succeeded");
  if (auto* error = std::get_if<DbError>(&run_id)) return *error;
  const std::int64_t id = std::get<std::int64_t>(run_id);
  auto written = insert_results(db, id, rules, snapshot, results, 0,
                                results.rules.size() + results.tasks.size());
  if (auto* error = std::get_if<DbError>(&written)) return *error;
  auto reconciled = load_and_reconcile(db, id, rules, snapshot, results, options);
  if (auto* error = std::get_if<DbError>(&reconciled)) return *error;
  return write_and_commit(db, tx, std::move(std::get<Reconciled>(reconciled)), rules, results,
                          options);
}

DbResult<std::int64_t> begin_run(Database& db, model::Date at, std::string_view now,
                                 const std::optional<RunDateLimit>& limit) {
  if (limit) {
    if (auto error = run_date_error(at, *limit)) return *error;
  }
  store::Transaction tx(db);
  if (tx.error()) return *tx.error();
  if (auto error = rewind_error(db, at)) return *error;
  auto run_id = insert_run(db, at, now, "running");
  if (auto* error = std::get_if<DbError>(&run_id)) return *error;
  if (auto error = tx.commit()) return *error;
  return run_id;
}

DbResult<std::size_t> write_results(Database& db, std::int64_t run_id,
                                    const model::RuleSet& rules, const store::Snapshot& snapshot,
                                    const eval::Results& results, std::size_t from,
                                    std::size_t count) {
  store::Transaction tx(db);
  if (tx.error()) return *tx.error();
  auto written = insert_results(db, run_id, rules, snapshot, results, from, count);
  if (auto* error = std::get_if<DbError>(&written)) return *error;
  if (auto error = tx.commit()) return *error;
  return written;
}

DbResult<RunRecord> finish_run(Database& db, std::int64_t run_id, const model::RuleSet& rules,
                               const store::Snapshot& snapshot, const eval::Results& results,
                               const RecordOptions& options) {
  // Reconciling is the long part (every result against the open alerts): done before
  // taking the write lock, and done again under it only when a run or a silence was
  // committed in between.
  auto reconciled = load_and_reconcile(db, run_id, rules, snapshot, results, options);
  if (auto* error = std::get_if<DbError>(&reconciled)) return *error;
  store::Transaction tx(db);
  if (tx.error()) return *tx.error();
  auto token = state_token(db);
  if (auto* error = std::get_if<DbError>(&token)) return *error;
  if (std::get<StateToken>(token) != std::get<Reconciled>(reconciled).token) {
    reconciled = load_and_reconcile(db, run_id, rules, snapshot, results, options);
    if (auto* error = std::get_if<DbError>(&reconciled)) return *error;
  }
  Statement finish = db.prepare(
      "UPDATE runs SET status = 'succeeded', finished_at = ?2 WHERE id = ?1 AND status = "
      "'running'");
  finish.bind(1, run_id).bind(2, options.now);
  if (auto error = run(finish)) return *error;
  if (sqlite3_changes(db.handle()) != 1) {
    return DbError{fmt::format("run {} is not a run in progress", run_id)};
  }
  return write_and_commit(db, tx, std::move(std::get<Reconciled>(reconciled)), rules, results,
                          options);
}

std::optional<DbError> fail_runs(Database& db, std::optional<std::int64_t> run_id,
                                 std::string_view error, std::string_view now) {
  Statement update = db.prepare(
      "UPDATE runs SET status = 'failed', finished_at = ?1, error = ?2 WHERE status = "
      "'running' AND (?3 IS NULL OR id = ?3)");
  update.bind(1, now).bind(2, error);
  if (run_id) {
    update.bind(3, *run_id);
  } else {
    update.bind_null(3);
  }
  return run(update);
}

}  // namespace tiendo::alert
