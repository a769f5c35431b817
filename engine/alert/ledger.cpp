#include "alert/ledger.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stop_token>
#include <thread>
#include <unordered_map>

#include "alert/message.hpp"
#include "present/reasons.hpp"
#include "util/cores.hpp"
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

// What a stored row says, hashed: the bytes of each field, each preceded by its length
// or whether it is set, so that no two different rows feed the hash the same bytes.
// XXH3 (Debian's libxxhash): fast, and the same on every machine and in every release.
// Numbers go in little-endian whatever the machine's order. One hasher at a time per
// thread: they share the thread's buffer, so that hashing a million rows allocates once.
class RowHasher {
 public:
  RowHasher() : bytes_(buffer()) { bytes_.clear(); }
  RowHasher(const RowHasher&) = delete;
  RowHasher& operator=(const RowHasher&) = delete;
  void text(std::string_view t) {
    number(static_cast<std::uint64_t>(t.size()));
    bytes_.append(t);
  }
  void number(std::uint64_t n) {
    for (int i = 0; i < 8; ++i) bytes_.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  }
  void figure(const eval::Figure& f) {
    if (!f) return number(0);
    number(1);
    number(std::bit_cast<std::uint64_t>(*f));
  }
  void date(const std::optional<model::Date>& d) {
    number(d ? 1 + static_cast<std::uint64_t>(
                       static_cast<std::uint32_t>(d->time_since_epoch().count()))
             : 0);
  }
  std::uint64_t digest() const {
    const std::uint64_t h = XXH3_64bits(bytes_.data(), bytes_.size());
    return h == 0 ? 1 : h;  // 0 marks a row whose digest is unknown (schema migration 8)
  }

 private:
  static std::string& buffer() {
    thread_local std::string bytes;
    return bytes;
  }
  std::string& bytes_;
};

// The digest of result `i`: every field its stored row holds (result_row, and the reason
// as present::reason_json writes it, names included), hashed straight from the result,
// so that comparing a million results with the stored ones builds no text.
std::uint64_t result_digest(const present::ReasonContext& context, std::size_t i) {
  const model::RuleSet& rules = context.rules;
  const eval::Results& results = context.results;
  const auto name = [](const auto& list, model::Index index) -> std::string_view {
    return index == model::kNone ? std::string_view() : list[static_cast<std::size_t>(index)].name;
  };
  RowHasher h;
  if (i >= results.rules.size()) {
    const eval::TaskResult& t = results.tasks[i - results.rules.size()];
    h.number(static_cast<std::uint64_t>(store::Subject::task));
    h.text(name(rules.tasks, t.task));
    h.text(eval::to_string(t.state));
    h.number(static_cast<std::uint64_t>(t.reason));
    h.date(t.due);
    h.date(t.earliest_finish);
    h.figure(t.progress);
    return h.digest();
  }
  const eval::RuleResult& r = results.rules[i];
  h.number(static_cast<std::uint64_t>(store::Subject::rule));
  h.text(name(rules.rules, r.rule));
  h.text(r.unit >= 0
             ? std::string_view(context.snapshot.units()[static_cast<std::size_t>(r.unit)].id)
             : std::string_view());
  h.text(eval::to_string(r.state));
  h.number(static_cast<std::uint64_t>(r.severity));
  h.number(static_cast<std::uint64_t>(static_cast<std::uint32_t>(r.version)));
  for (const eval::Figure& f :
       {r.value, r.target, r.upper, r.projected, r.rate_needed, r.rate_observed}) {
    h.figure(f);
  }
  h.date(r.deadline);
  const eval::Reason& why = r.reason;
  h.number(static_cast<std::uint64_t>(why.kind));
  h.number(static_cast<std::uint64_t>(why.gap.kind));
  if (why.gap.kind != eval::Gap::Kind::none) {
    h.text(name(rules.indicators, why.gap.indicator));
    h.text(why.gap.level.none() ? std::string_view()
                                : std::string_view(rules.scope_name(why.gap.level)));
    h.text(
        why.gap.unit >= 0
            ? std::string_view(context.snapshot.units()[static_cast<std::size_t>(why.gap.unit)].id)
            : std::string_view());
    h.date(why.gap.since);
  }
  h.number(why.stale ? 1 : 0);
  if (why.stale) {
    h.text(name(rules.indicators, why.stale_indicator));
    h.date(why.stale_newest);
  }
  h.date(why.last.first);
  h.date(why.last.last);
  h.number(why.in_window ? 1 : 0);
  h.text(name(rules.tasks, r.blocking_task));
  for (const model::Index t : r.chain()) h.text(name(rules.tasks, t));
  return h.digest();
}

// The key of result `i`: subject, name and unit (empty for a task).
store::ResultKey result_key(const present::ReasonContext& context, std::size_t i) {
  const eval::Results& results = context.results;
  if (i < results.rules.size()) {
    const eval::RuleResult& r = results.rules[i];
    return {store::Subject::rule, context.rules.rules[static_cast<std::size_t>(r.rule)].name,
            r.unit >= 0
                ? std::string_view(context.snapshot.units()[static_cast<std::size_t>(r.unit)].id)
                : std::string_view()};
  }
  const eval::TaskResult& t = results.tasks[i - results.rules.size()];
  return {store::Subject::task, context.rules.tasks[static_cast<std::size_t>(t.task)].name, {}};
}

// The row of result `i` of the run, counting the rules' results first and then the
// tasks'; its digest set.
store::ResultRow result_row(const present::ReasonContext& context, std::size_t i) {
  const eval::Results& results = context.results;
  store::ResultRow row;
  const store::ResultKey key = result_key(context, i);
  row.subject = key.subject;
  row.name = key.name;
  row.unit = key.unit;
  if (i < results.rules.size()) {
    const eval::RuleResult& r = results.rules[i];
    row.state = eval::to_string(r.state);
    row.why = present::reason_json(context, r).dump();
    row.severity = r.severity;
    row.version = r.version;
    row.value = r.value;
    row.target = r.target;
    row.upper = r.upper;
    row.deadline = r.deadline;
    row.projected = r.projected;
    row.rate_needed = r.rate_needed;
    row.rate_observed = r.rate_observed;
  } else {
    const eval::TaskResult& t = results.tasks[i - results.rules.size()];
    row.state = eval::to_string(t.state);
    row.why = present::reason_json(t).dump();
    row.due = t.due;
    row.earliest_finish = t.earliest_finish;
    row.progress = t.progress;
  }
  row.digest = result_digest(context, i);
  return row;
}

// Keys in the order the store keeps them: subject ("rule" before "task"), name, unit, each
// compared byte by byte as SQLite's BINARY collation does.
bool key_less(const store::ResultKey& a, const store::ResultKey& b) {
  if (a.subject != b.subject) return a.subject == store::Subject::rule;
  if (const int c = a.name.compare(b.name); c != 0) return c < 0;
  return a.unit < b.unit;
}

// The rows of changes.write [from, end), each with its detail JSON.
std::vector<store::ResultRow> rows_of(const present::ReasonContext& context,
                                      const ResultChanges& changes, std::size_t from,
                                      std::size_t end) {
  std::vector<store::ResultRow> rows;
  rows.reserve(end - from);
  for (std::size_t i = from; i < end; ++i) {
    rows.push_back(result_row(context, changes.write[i]));
    rows.back().detail = store::result_detail(rows.back());
  }
  return rows;
}

// Writes the rows of changes.write [from, from + count); how many were written.
DbResult<std::size_t> insert_results(Database& db, std::int64_t run_id,
                                     const present::ReasonContext& context,
                                     const ResultChanges& changes, std::size_t from,
                                     std::size_t count) {
  const std::size_t total = changes.write.size();
  const std::size_t end = from >= total ? from : from + std::min(count, total - from);
  TIENDO_RETURN_IF_ERROR(store::insert_results(db, run_id, rows_of(context, changes, from, end)));
  return end - from;
}

// Ends the current rows this run replaces or no longer has.
std::optional<DbError> close_results(Database& db, std::int64_t run_id,
                                     const present::ReasonContext& context,
                                     const ResultChanges& changes) {
  std::vector<store::ResultKey> keys;
  keys.reserve(changes.replaced.size() + changes.gone.size());
  for (std::size_t i : changes.replaced) keys.push_back(result_key(context, i));
  for (const ResultChanges::Gone& g : changes.gone) keys.push_back({g.subject, g.name, g.unit});
  return store::close_results(db, run_id, keys);
}

// The rows of changes.write, with their detail JSON, built a batch at a time by a second
// thread while the caller writes the batches before (building a row costs about as much
// as inserting it: measured on bench_eval's first run, 1.7 s of building for 2.7 s of
// inserts). At most kAhead batches wait.
class RowsAhead {
 public:
  RowsAhead(const present::ReasonContext& context, const ResultChanges& changes)
      : worker_([this, &context, &changes](const std::stop_token& stop) {
          build(stop, context, changes);
        }) {}
  RowsAhead(const RowsAhead&) = delete;
  RowsAhead& operator=(const RowsAhead&) = delete;
  ~RowsAhead() {
    worker_.request_stop();  // then joined, before the members it uses go
  }

  // The next batch, in changes.write's order; empty once every row was taken.
  std::vector<store::ResultRow> next() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !ready_.empty() || done_; });
    if (ready_.empty()) return {};
    std::vector<store::ResultRow> rows = std::move(ready_.front());
    ready_.pop_front();
    changed_.notify_all();
    return rows;
  }

 private:
  static constexpr std::size_t kRowsAtATime = 5000;
  static constexpr std::size_t kAhead = 2;

  void build(const std::stop_token& stop, const present::ReasonContext& context,
             const ResultChanges& changes) {
    const std::size_t total = changes.write.size();
    for (std::size_t from = 0; from < total && !stop.stop_requested(); from += kRowsAtATime) {
      std::vector<store::ResultRow> rows =
          rows_of(context, changes, from, from + std::min(kRowsAtATime, total - from));
      std::unique_lock lock(mutex_);
      if (!changed_.wait(lock, stop, [this] { return ready_.size() < kAhead; })) return;
      ready_.push_back(std::move(rows));
      changed_.notify_all();
    }
    const std::lock_guard lock(mutex_);
    done_ = true;
    changed_.notify_all();
  }

  std::mutex mutex_;
  std::condition_variable_any changed_;
  std::deque<std::vector<store::ResultRow>> ready_;
  bool done_ = false;
  std::jthread worker_;  // last: it starts once the members above are made
};

// All of a run's result changes at once (record_run's one transaction, or a run whose
// changes were worked out against results a later run has replaced): the rows are built
// ahead while the replaced ones are closed and the batches before are inserted.
std::optional<DbError> write_all_results(Database& db, std::int64_t run_id,
                                         const present::ReasonContext& context,
                                         const ResultChanges& changes) {
  RowsAhead rows(context, changes);
  TIENDO_RETURN_IF_ERROR(close_results(db, run_id, context, changes));
  for (std::vector<store::ResultRow> batch = rows.next(); !batch.empty(); batch = rows.next()) {
    TIENDO_RETURN_IF_ERROR(store::insert_results(db, run_id, batch));
  }
  return std::nullopt;
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

// Under the write lock: writes the alerts' next state (those whose row changes), the
// outbox messages and the transitions of a reconciliation.
DbResult<RunRecord> write_reconciled(Database& db, Reconciled reconciled,
                                     const model::RuleSet& rules, const eval::Results& results,
                                     std::size_t results_changed, const RecordOptions& options) {
  const ReconcileInput& input = reconciled.input;
  RunRecord record;
  record.run_id = input.run_id;
  record.results = results.rules.size() + results.tasks.size();
  record.results_changed = results_changed;
  record.output = std::move(reconciled.output);

  store::RunOutcome outcome;
  outcome.run_id = record.run_id;
  outcome.at = results.at;
  outcome.now = options.now;
  outcome.results_changed = results_changed;
  // In fingerprint order, the alerts table's key: written in order, they fill its pages
  // one after the other.
  for (const AlertRecord& a : record.output.alerts) outcome.changed.push_back(&a);
  std::sort(
      outcome.changed.begin(), outcome.changed.end(),
      [](const AlertRecord* a, const AlertRecord* b) { return a->fingerprint < b->fingerprint; });
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
                                     std::size_t results_changed, const RecordOptions& options) {
  TIENDO_ASSIGN_OR_RETURN(RunRecord record, write_reconciled(db, std::move(reconciled), rules,
                                                             results, results_changed, options));
  if (options.commit) TIENDO_RETURN_IF_ERROR(tx.commit());
  return record;
}

}  // namespace

namespace {

// Results in the store's key order: each one's key, and their indexes in that order.
struct KeyOrder {
  std::vector<store::ResultKey> keys;  // by result index (views into the rule set and units)
  std::vector<std::uint32_t> order;
};

KeyOrder key_order(const present::ReasonContext& context) {
  const eval::Results& results = context.results;
  const std::size_t total = results.rules.size() + results.tasks.size();
  // The rules' results come by rule, so it is the rules (and tasks) that are sorted by
  // name, and each rule's results by unit only when they are not in order already.
  KeyOrder out;
  out.keys.resize(total);
  std::vector<store::ResultKey>& keys = out.keys;
  for (std::size_t i = 0; i < total; ++i) keys[i] = result_key(context, i);
  std::vector<std::pair<std::size_t, std::size_t>> groups;  // [first, last) of one name
  for (std::size_t i = 0; i < total;) {
    std::size_t end = i + 1;
    while (end < total && keys[end].subject == keys[i].subject && keys[end].name == keys[i].name) {
      ++end;
    }
    groups.emplace_back(i, end);
    i = end;
  }
  std::sort(groups.begin(), groups.end(),
            [&](const auto& a, const auto& b) { return key_less(keys[a.first], keys[b.first]); });
  std::vector<std::uint32_t>& order = out.order;
  order.reserve(total);
  for (const auto& [first, last] : groups) {
    const std::size_t from = order.size();
    for (std::size_t i = first; i < last; ++i) order.push_back(static_cast<std::uint32_t>(i));
    const auto by_key = [&](std::uint32_t a, std::uint32_t b) {
      return key_less(keys[a], keys[b]);
    };
    if (!std::is_sorted(order.begin() + static_cast<std::ptrdiff_t>(from), order.end(), by_key)) {
      std::sort(order.begin() + static_cast<std::ptrdiff_t>(from), order.end(), by_key);
    }
  }
  return out;
}

// Each result's digest. Hashing a million results is the long part of the comparison: one
// thread per core, each a range (result_digest is pure; each thread hashes into its own
// buffer).
std::vector<std::uint64_t> digests_of(const present::ReasonContext& context) {
  const std::size_t total = context.results.rules.size() + context.results.tasks.size();
  std::vector<std::uint64_t> digests(total);
  const std::size_t threads =
      std::clamp<std::size_t>(util::usable_cores(), 1, std::max<std::size_t>(1, total / 65536));
  const auto hash_part = [&](std::size_t t) {
    for (std::size_t i = total * t / threads; i < total * (t + 1) / threads; ++i) {
      digests[i] = result_digest(context, i);
    }
  };
  std::vector<std::jthread> workers;
  for (std::size_t t = 1; t < threads; ++t) workers.emplace_back(hash_part, t);
  hash_part(0);
  return digests;
}

}  // namespace

DbResult<ResultChanges> result_changes(Database& db, const model::RuleSet& rules,
                                       const store::Snapshot& snapshot,
                                       const eval::Results& results,
                                       const RecordedResults* recorded) {
  const present::ReasonContext context{rules, snapshot, results};
  const std::size_t total = results.rules.size() + results.tasks.size();
  // This run's results in the store's key order, and what each says.
  const KeyOrder mine = key_order(context);
  const std::vector<store::ResultKey>& keys = mine.keys;
  const std::vector<std::uint32_t>& order = mine.order;
  std::vector<std::uint64_t> digests = digests_of(context);

  // The current rows come in the table's key order, the order of `order`: a merge finds
  // each one's result. (SQLite's BINARY collation is key_less's order; a row out of that
  // order would make the merge wrong, so it is an error rather than a guess.)
  ResultChanges changes;
  std::vector<bool> seen(total, false), replaced(total, false);
  std::size_t next = 0;
  std::optional<store::ResultKey> last;  // views into `last_name` and `last_unit`
  std::string last_name, last_unit;
  bool out_of_order = false;
  const auto restart = [&] {
    changes = {};
    std::fill(seen.begin(), seen.end(), false);
    std::fill(replaced.begin(), replaced.end(), false);
    next = 0;
    last.reset();
  };
  const auto visit = [&](const store::ResultKey& current, std::uint64_t digest) {
    if (last && !key_less(*last, current)) out_of_order = true;
    last_name.assign(current.name);
    last_unit.assign(current.unit);
    last = store::ResultKey{current.subject, last_name, last_unit};
    while (next < total && key_less(keys[order[next]], current)) ++next;
    if (next < total && !key_less(current, keys[order[next]])) {
      const std::uint32_t i = order[next++];
      seen[i] = true;
      if (digests[i] != digest) replaced[i] = true;
      return;
    }
    changes.gone.push_back({current.subject, std::string(current.name), std::string(current.unit)});
  };
  // The current rows are the recorded run's results while it is the latest succeeded run:
  // each of its results was written or kept (the same digest), and every other current
  // row was closed. Then they need not be read (on bench_eval's store, a million rows).
  std::int64_t baseline = 0;
  bool from_recorded = false;
  if (const EvaluatedResults* e = recorded ? &recorded->evaluated : nullptr;
      e && recorded->run_id > 0 && e->rules && e->snapshot && e->results) {
    const present::ReasonContext before{*e->rules, *e->snapshot, *e->results};
    const std::size_t count = e->results->rules.size() + e->results->tasks.size();
    TIENDO_ASSIGN_OR_RETURN(const std::int64_t latest, store::last_succeeded_run(db));
    if (latest == recorded->run_id && recorded->digests.size() == count) {
      const KeyOrder theirs = key_order(before);
      for (const std::uint32_t i : theirs.order) visit(theirs.keys[i], recorded->digests[i]);
      baseline = latest;
      from_recorded = true;
    }
  }
  if (!from_recorded) {
    TIENDO_ASSIGN_OR_RETURN(baseline, store::read_current_results(db, visit, restart));
  }
  if (out_of_order) {
    return DbError{"the stored results are not in their key's order (subject, name, unit)"};
  }
  changes.baseline_run = baseline;
  changes.read_current = !from_recorded;
  // In key order: rows written in the order of the table's key fill its pages one after
  // the other, where rule order would scatter them ("rule10" sorts before "rule2").
  for (const std::uint32_t i : order) {
    if (!seen[i] || replaced[i]) changes.write.push_back(i);
    if (replaced[i]) changes.replaced.push_back(i);
  }
  changes.digests = std::move(digests);
  return changes;
}

namespace {

// The state result `i` is stored with.
std::string_view stored_state(const eval::Results& results, std::size_t i) {
  return i < results.rules.size() ? eval::to_string(results.rules[i].state)
                                  : eval::to_string(results.tasks[i - results.rules.size()].state);
}

// Whether the two evaluations' results line up one for one (by rule, then unit; tasks by
// index): one rule set, the same units, the same results.
bool aligned(const EvaluatedResults& a, const EvaluatedResults& b) {
  const eval::Results& x = *a.results;
  const eval::Results& y = *b.results;
  if (a.rules != b.rules || x.rules.size() != y.rules.size() || x.tasks.size() != y.tasks.size()) {
    return false;
  }
  const auto& units = a.snapshot->units();
  const auto& other = b.snapshot->units();
  if (units.size() != other.size()) return false;
  for (std::size_t u = 0; u < units.size(); ++u) {
    if (units[u].id != other[u].id) return false;
  }
  for (std::size_t i = 0; i < x.rules.size(); ++i) {
    if (x.rules[i].rule != y.rules[i].rule || x.rules[i].unit != y.rules[i].unit) return false;
  }
  for (std::size_t i = 0; i < x.tasks.size(); ++i) {
    if (x.tasks[i].task != y.tasks[i].task) return false;
  }
  return true;
}

store::StateChange state_change(const store::ResultKey& key, std::string_view before,
                                std::string_view after) {
  return {key.subject, std::string(key.name), std::string(key.unit), std::string(before),
          std::string(after)};
}

}  // namespace

std::vector<store::StateChange> state_changes(const EvaluatedResults& before,
                                              const EvaluatedResults& after) {
  const present::ReasonContext a{*before.rules, *before.snapshot, *before.results};
  const present::ReasonContext b{*after.rules, *after.snapshot, *after.results};
  std::vector<store::StateChange> changes;
  if (aligned(before, after)) {
    // A pass comparing states; only the changes are keyed and sorted.
    const std::size_t total = b.results.rules.size() + b.results.tasks.size();
    for (std::size_t i = 0; i < total; ++i) {
      const std::string_view was = stored_state(a.results, i), is = stored_state(b.results, i);
      if (was != is) changes.push_back(state_change(result_key(b, i), was, is));
    }
    const auto as_key = [](const store::StateChange& c) {
      return store::ResultKey{c.subject, c.name, c.unit};
    };
    std::sort(changes.begin(), changes.end(),
              [&](const auto& x, const auto& y) { return key_less(as_key(x), as_key(y)); });
    return changes;
  }
  // Both in the store's key order, merged.
  const KeyOrder x = key_order(a), y = key_order(b);
  std::size_t i = 0, j = 0;
  while (i < x.order.size() || j < y.order.size()) {
    const std::uint32_t p = i < x.order.size() ? x.order[i] : 0;
    const std::uint32_t q = j < y.order.size() ? y.order[j] : 0;
    if (j == y.order.size() || (i < x.order.size() && key_less(x.keys[p], y.keys[q]))) {
      changes.push_back(state_change(x.keys[p], stored_state(a.results, p), {}));  // gone
      ++i;
    } else if (i == x.order.size() || key_less(y.keys[q], x.keys[p])) {
      changes.push_back(state_change(y.keys[q], {}, stored_state(b.results, q)));  // new
      ++j;
    } else {
      const std::string_view was = stored_state(a.results, p), is = stored_state(b.results, q);
      if (was != is) changes.push_back(state_change(y.keys[q], was, is));
      ++i;
      ++j;
    }
  }
  return changes;
}

DbResult<RunRecord> record_run(Database& db, const model::RuleSet& rules,
                               const store::Snapshot& snapshot, const eval::Results& results,
                               const RecordOptions& options) {
  if (options.limit) TIENDO_RETURN_IF_ERROR(run_date_error(results.at, *options.limit));
  store::Transaction tx(db);
  if (tx.error()) return *tx.error();
  // Everything below reads and writes under the write lock taken by BEGIN IMMEDIATE, so
  // two runs never reconcile against the same alert state.
  TIENDO_RETURN_IF_ERROR(rewind_error(db, results.at));
  TIENDO_ASSIGN_OR_RETURN(const ResultChanges changes,
                          result_changes(db, rules, snapshot, results));
  // Running until its outcome is written: an open alert's evaluation date is the latest
  // succeeded run's, which must still be the previous one while this one reconciles.
  TIENDO_ASSIGN_OR_RETURN(const std::int64_t id, store::insert_run(db, results.at, options.now,
                                                                   store::RunStatus::running));
  TIENDO_RETURN_IF_ERROR(
      write_all_results(db, id, present::ReasonContext{rules, snapshot, results}, changes));
  TIENDO_ASSIGN_OR_RETURN(Reconciled reconciled,
                          load_and_reconcile(db, id, rules, snapshot, results, options));
  TIENDO_RETURN_IF_ERROR(store::mark_run_succeeded(db, id, options.now));
  return write_and_commit(db, tx, std::move(reconciled), rules, results, changes.changed(),
                          options);
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
                                    const ResultChanges& changes, std::size_t from,
                                    std::size_t count) {
  store::Transaction tx(db);
  if (tx.error()) return *tx.error();
  TIENDO_ASSIGN_OR_RETURN(
      const std::size_t written,
      insert_results(db, run_id, present::ReasonContext{rules, snapshot, results}, changes, from,
                     count));
  TIENDO_RETURN_IF_ERROR(tx.commit());
  return written;
}

DbResult<RunRecord> finish_run(Database& db, std::int64_t run_id, const model::RuleSet& rules,
                               const store::Snapshot& snapshot, const eval::Results& results,
                               const ResultChanges& changes, const RecordOptions& options) {
  // Reconciling is the long part (every result against the open alerts): done before
  // taking the write lock, and done again under it only when a run or a silence was
  // committed in between.
  TIENDO_ASSIGN_OR_RETURN(Reconciled reconciled,
                          load_and_reconcile(db, run_id, rules, snapshot, results, options));
  store::Transaction tx(db);
  if (tx.error()) return *tx.error();
  TIENDO_ASSIGN_OR_RETURN(const store::AlertStateToken token, store::alert_state_token(db));
  const present::ReasonContext context{rules, snapshot, results};
  std::int64_t id = run_id;
  std::size_t results_changed = changes.changed();
  if (token.last_run == changes.baseline_run) {
    TIENDO_RETURN_IF_ERROR(close_results(db, id, context, changes));
  } else {
    // Another run succeeded (or was voided) since the changes were worked out: they are
    // worked out again against the results now current, here under the lock, and written
    // whole. A run that began after this one and succeeded first comes before it: this
    // one is recorded under a new id, so that succeeded runs' ids keep the order in which
    // they changed the results (results_at reads them in that order).
    TIENDO_RETURN_IF_ERROR(store::discard_results(db, id));
    if (token.last_run > id) {
      TIENDO_ASSIGN_OR_RETURN(
          id, store::insert_run(db, results.at, options.now, store::RunStatus::running));
      TIENDO_RETURN_IF_ERROR(store::fail_runs(
          db, run_id,
          fmt::format("superseded: run {} succeeded first; this evaluation is recorded as run {}",
                      token.last_run, id),
          options.now));
    }
    TIENDO_ASSIGN_OR_RETURN(const ResultChanges again,
                            result_changes(db, rules, snapshot, results));
    TIENDO_RETURN_IF_ERROR(write_all_results(db, id, context, again));
    results_changed = again.changed();
  }
  if (token != reconciled.token || id != run_id) {
    TIENDO_ASSIGN_OR_RETURN(reconciled,
                            load_and_reconcile(db, id, rules, snapshot, results, options));
  }
  TIENDO_RETURN_IF_ERROR(store::mark_run_succeeded(db, id, options.now));
  return write_and_commit(db, tx, std::move(reconciled), rules, results, results_changed, options);
}

}  // namespace tiendo::alert
