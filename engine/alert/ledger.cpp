#include "alert/ledger.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "alert/message.hpp"
#include "present/reasons.hpp"
#include "util/result.hpp"
#include "util/text.hpp"

namespace tiendo::alert {

namespace {

using store::Database;
using store::DbError;
using store::DbResult;
using Json = nlohmann::json;

}  // namespace

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
    if ((byte < 0x20 || byte == 0x7F) &&
        !(lines && (byte == '\t' || byte == '\n' || byte == '\r'))) {
      return fmt::format(
          "a control character (0x{:02X}) at byte {}; {}", byte, i + 1,
          lines ? "a comment may hold tabs and line breaks but no other" : "an author holds none");
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
    error =
        "match: give at least one matcher (e.g. rule=smartphone_2022); a silence of "
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
      error =
          fmt::format("ends: '{}' is not a UTC time such as 2026-11-28T10:00:00Z", request.ends);
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
    error =
        fmt::format("ends: the silence ends ({}) before it starts ({})", s.ends_at, s.starts_at);
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
  store::StoredSilence stored;
  for (const Matcher& m : silence.matchers) stored.matchers.push_back({m.name, m.op, m.value});
  stored.starts_at = silence.starts_at;
  stored.ends_at = silence.ends_at;
  stored.author = silence.author;
  stored.comment = silence.comment;
  stored.created_at = silence.created_at;
  return store::add_silence(db, stored, kMaxLiveSilences);
}

DbResult<std::vector<Silence>> load_silences(Database& db, bool include_expired) {
  TIENDO_ASSIGN_OR_RETURN(std::vector<store::StoredSilence> stored,
                          store::read_silences(db, include_expired));
  std::vector<Silence> out;
  out.reserve(stored.size());
  for (store::StoredSilence& st : stored) {
    Silence s;
    s.id = st.id;
    for (store::StoredMatcher& m : st.matchers) {
      // Compiled here, once per load, not once per alert matched. A pattern that RE2
      // refuses (one stored for another syntax, or past today's limits) is kept without
      // its compiled form: listed as it was, and matching no alert.
      std::string why;
      auto matcher = make_matcher(m.name, m.op, m.value, why);
      if (!matcher) {
        matcher.emplace();
        matcher->name = std::move(m.name);
        matcher->op = std::move(m.op);
        matcher->value = std::move(m.value);
      }
      s.matchers.push_back(std::move(*matcher));
    }
    s.starts_at = std::move(st.starts_at);
    s.ends_at = std::move(st.ends_at);
    s.author = std::move(st.author);
    s.comment = std::move(st.comment);
    s.created_at = std::move(st.created_at);
    s.expired_at = std::move(st.expired_at);
    out.push_back(std::move(s));
  }
  return out;
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
    m.idempotency_key = store.empty()
                            ? fmt::format("tiendo-run{}-{}", d.run_id, d.channel)
                            : fmt::format("tiendo-{}-run{}-{}", store, d.run_id, d.channel);
    switch (channel.kind) {
      case model::Channel::Kind::email: {
        EmailContent email = render_email(d);
        m.payload = store::EmailPayload{channel.emails, std::move(email.subject),
                                        std::move(email.text), std::move(email.html)};
        break;
      }
      case model::Channel::Kind::webhook: {
        const bool alertmanager = channel.format == model::Channel::Format::alertmanager;
        m.payload = store::WebhookPayload{
            channel.url, channel.secret_env,
            alertmanager ? store::WebhookPayload::Format::alertmanager
                         : store::WebhookPayload::Format::native,
            alertmanager ? render_alertmanager_webhook(d, now) : render_webhook(d)};
        break;
      }
      case model::Channel::Kind::alertmanager: {
        std::string url = channel.url;
        while (!url.empty() && url.back() == '/') url.pop_back();
        m.payload =
            store::AlertmanagerPayload{url + "/api/v2/alerts", render_alertmanager_push(d, now)};
        break;
      }
    }
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
      model::to_string(at), std::max(limit.max_days_ahead, 0), limit.max_days_ahead == 1 ? "" : "s",
      model::to_string(limit.today))};
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
  TIENDO_ASSIGN_OR_RETURN(const std::optional<model::Date> last, store::ledger_date(db));
  if (!last || *last <= at) return std::nullopt;
  return rewind_refused(*last, at);
}

// The rows of results [from, from + count) of the run, counting the rules' results first
// and then the tasks'.
std::vector<store::ResultRow> result_rows(const model::RuleSet& rules,
                                          const store::Snapshot& snapshot,
                                          const eval::Results& results, std::size_t from,
                                          std::size_t end) {
  std::vector<store::ResultRow> rows;
  rows.reserve(end - from);
  const present::ReasonContext context{rules, snapshot, results};
  for (std::size_t i = from; i < end; ++i) {
    store::ResultRow row;
    if (i < results.rules.size()) {
      const eval::RuleResult& r = results.rules[i];
      row.subject = store::Subject::rule;
      row.name = rules.rules[static_cast<std::size_t>(r.rule)].name;
      if (r.unit >= 0) row.unit = snapshot.units()[static_cast<std::size_t>(r.unit)].id;
      row.state = eval::to_string(r.state);
      row.why = present::reason_json(context, r).dump();
      row.severity = r.severity;
      row.value = r.value;
      row.target = r.target;
      row.upper = r.upper;
      row.deadline = r.deadline;
      row.projected = r.projected;
      row.rate_needed = r.rate_needed;
      row.rate_observed = r.rate_observed;
    } else {
      const eval::TaskResult& t = results.tasks[i - results.rules.size()];
      row.subject = store::Subject::task;
      row.name = rules.tasks[static_cast<std::size_t>(t.task)].name;
      row.state = eval::to_string(t.state);
      row.why = present::reason_json(t).dump();
      row.due = t.due;
      row.earliest_finish = t.earliest_finish;
      row.progress = t.progress;
    }
    rows.push_back(row);
  }
  return rows;
}

// Writes results [from, from + count) of the run; how many were written.
DbResult<std::size_t> insert_results(Database& db, std::int64_t run_id, const model::RuleSet& rules,
                                     const store::Snapshot& snapshot, const eval::Results& results,
                                     std::size_t from, std::size_t count) {
  const std::size_t total = results.rules.size() + results.tasks.size();
  const std::size_t end = from >= total ? from : from + std::min(count, total - from);
  const std::vector<store::ResultRow> rows = result_rows(rules, snapshot, results, from, end);
  TIENDO_RETURN_IF_ERROR(store::insert_results(db, run_id, rows));
  return end - from;
}

// The results reconciled against the open alerts and the silences as the store holds
// them, and the token of what was read (taken first, so that a change committed while
// reading shows as a changed token).
struct Reconciled {
  store::AlertStateToken token;
  ReconcileInput input;
  ReconcileOutput output;
};

DbResult<Reconciled> load_and_reconcile(Database& db, std::int64_t run_id,
                                        const model::RuleSet& rules,
                                        const store::Snapshot& snapshot,
                                        const eval::Results& results,
                                        const RecordOptions& options) {
  Reconciled out;
  TIENDO_ASSIGN_OR_RETURN(out.token, store::alert_state_token(db));
  TIENDO_ASSIGN_OR_RETURN(out.input.previous, store::load_alerts(db, /*open_only=*/true));
  for (const AlertRecord& a : out.input.previous) {
    if (a.evaluated > results.at) return rewind_refused(a.evaluated, results.at);
  }
  TIENDO_ASSIGN_OR_RETURN(out.input.silences, load_silences(db, /*include_expired=*/false));
  out.input.rules = &rules;
  out.input.snapshot = &snapshot;
  out.input.results = &results;
  out.input.now = options.now;
  out.input.run_id = run_id;
  out.output = reconcile(out.input);
  return out;
}

// Under the write lock: writes the alerts' next state, the outbox messages and the
// transitions of a reconciliation.
DbResult<RunRecord> write_reconciled(Database& db, Reconciled reconciled,
                                     const model::RuleSet& rules, const eval::Results& results,
                                     const RecordOptions& options) {
  const ReconcileInput& input = reconciled.input;
  RunRecord record;
  record.run_id = input.run_id;
  record.results = results.rules.size() + results.tasks.size();
  record.output = std::move(reconciled.output);

  // Only the alerts whose row changes are written one by one: an unchanged alert is most
  // of them on most nights (the store marks every open alert evaluated at once).
  std::unordered_map<std::string_view, const AlertRecord*> before;
  for (const AlertRecord& a : input.previous) before.emplace(a.fingerprint, &a);
  const auto unchanged = [&](const AlertRecord& a) {
    const auto it = before.find(a.fingerprint);
    if (it == before.end()) return false;
    AlertRecord was = *it->second;
    was.evaluated = a.evaluated;
    return was == a;
  };
  store::RunOutcome outcome;
  outcome.run_id = record.run_id;
  outcome.at = results.at;
  outcome.now = options.now;
  for (const AlertRecord& a : record.output.alerts) {
    if (!unchanged(a)) outcome.changed.push_back(&a);
  }
  TIENDO_ASSIGN_OR_RETURN(const std::string identity, store::store_identity(db));
  record.messages = messages_of(rules, record.output, options.now, identity);
  outcome.messages = record.messages;
  outcome.transitions = record.output.transitions;
  TIENDO_RETURN_IF_ERROR(store::write_run_outcome(db, outcome));
  return record;
}

// The end of both ways of recording: the reconciliation written, then the commit
// (unless it is a dry run).
DbResult<RunRecord> write_and_commit(Database& db, store::Transaction& tx, Reconciled reconciled,
                                     const model::RuleSet& rules, const eval::Results& results,
                                     const RecordOptions& options) {
  TIENDO_ASSIGN_OR_RETURN(RunRecord record,
                          write_reconciled(db, std::move(reconciled), rules, results, options));
  if (options.commit) TIENDO_RETURN_IF_ERROR(tx.commit());
  return record;
}

}  // namespace

DbResult<RunRecord> record_run(Database& db, const model::RuleSet& rules,
                               const store::Snapshot& snapshot, const eval::Results& results,
                               const RecordOptions& options) {
  if (options.limit) TIENDO_RETURN_IF_ERROR(run_date_error(results.at, *options.limit));
  store::Transaction tx(db);
  if (tx.error()) return *tx.error();
  // Everything below reads and writes under the write lock taken by BEGIN IMMEDIATE, so
  // two runs never reconcile against the same alert state.
  TIENDO_RETURN_IF_ERROR(rewind_error(db, results.at));
  TIENDO_ASSIGN_OR_RETURN(const std::int64_t id, store::insert_run(db, results.at, options.now,
                                                                   store::RunStatus::succeeded));
  TIENDO_ASSIGN_OR_RETURN([[maybe_unused]] const std::size_t written,
                          insert_results(db, id, rules, snapshot, results, 0,
                                         results.rules.size() + results.tasks.size()));
  TIENDO_ASSIGN_OR_RETURN(Reconciled reconciled,
                          load_and_reconcile(db, id, rules, snapshot, results, options));
  return write_and_commit(db, tx, std::move(reconciled), rules, results, options);
}

DbResult<std::int64_t> begin_run(Database& db, model::Date at, std::string_view now,
                                 const std::optional<RunDateLimit>& limit) {
  if (limit) TIENDO_RETURN_IF_ERROR(run_date_error(at, *limit));
  store::Transaction tx(db);
  if (tx.error()) return *tx.error();
  TIENDO_RETURN_IF_ERROR(rewind_error(db, at));
  TIENDO_ASSIGN_OR_RETURN(const std::int64_t id,
                          store::insert_run(db, at, now, store::RunStatus::running));
  TIENDO_RETURN_IF_ERROR(tx.commit());
  return id;
}

DbResult<std::size_t> write_results(Database& db, std::int64_t run_id, const model::RuleSet& rules,
                                    const store::Snapshot& snapshot, const eval::Results& results,
                                    std::size_t from, std::size_t count) {
  store::Transaction tx(db);
  if (tx.error()) return *tx.error();
  TIENDO_ASSIGN_OR_RETURN(const std::size_t written,
                          insert_results(db, run_id, rules, snapshot, results, from, count));
  TIENDO_RETURN_IF_ERROR(tx.commit());
  return written;
}

DbResult<RunRecord> finish_run(Database& db, std::int64_t run_id, const model::RuleSet& rules,
                               const store::Snapshot& snapshot, const eval::Results& results,
                               const RecordOptions& options) {
  // Reconciling is the long part (every result against the open alerts): done before
  // taking the write lock, and done again under it only when a run or a silence was
  // committed in between.
  TIENDO_ASSIGN_OR_RETURN(Reconciled reconciled,
                          load_and_reconcile(db, run_id, rules, snapshot, results, options));
  store::Transaction tx(db);
  if (tx.error()) return *tx.error();
  TIENDO_ASSIGN_OR_RETURN(const store::AlertStateToken token, store::alert_state_token(db));
  if (token != reconciled.token) {
    TIENDO_ASSIGN_OR_RETURN(reconciled,
                            load_and_reconcile(db, run_id, rules, snapshot, results, options));
  }
  TIENDO_RETURN_IF_ERROR(store::mark_run_succeeded(db, run_id, options.now));
  return write_and_commit(db, tx, std::move(reconciled), rules, results, options);
}

}  // namespace tiendo::alert
