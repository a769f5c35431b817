#include "store/schema.hpp"

namespace tiendo::store {

const std::vector<std::string>& migrations() {
  static const std::vector<std::string> all = {
      // 1: units, observations with revisions, task status events, and the tables the
      // evaluation, alert and delivery stages fill.
      R"sql(
CREATE TABLE units (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  level       TEXT NOT NULL,
  parent      TEXT REFERENCES units(id),
  input       TEXT NOT NULL,
  updated_at  TEXT NOT NULL
) STRICT;
CREATE INDEX units_parent ON units(parent);

-- A re-ingest of the same (indicator, unit, period) with another value adds a revision;
-- the highest revision counts. Dates are ISO 8601 days.
CREATE TABLE observations (
  id            INTEGER PRIMARY KEY,
  indicator     TEXT NOT NULL,
  unit          TEXT NOT NULL REFERENCES units(id),
  period_start  TEXT NOT NULL,
  period_end    TEXT NOT NULL,
  value         REAL NOT NULL,
  numerator     REAL,
  denominator   REAL,
  source        TEXT,
  note          TEXT,
  input         TEXT NOT NULL,
  input_line    INTEGER NOT NULL,
  revision      INTEGER NOT NULL CHECK (revision >= 1),
  ingested_at   TEXT NOT NULL,
  UNIQUE (indicator, unit, period_start, period_end, revision)
) STRICT;
CREATE INDEX observations_by_end ON observations(indicator, unit, period_end);

CREATE TABLE task_status (
  id           INTEGER PRIMARY KEY,
  task         TEXT NOT NULL,
  status       TEXT NOT NULL
               CHECK (status IN ('not_started', 'in_progress', 'done', 'blocked', 'cancelled')),
  date         TEXT NOT NULL,
  progress     REAL CHECK (progress IS NULL OR (progress >= 0 AND progress <= 1)),
  note         TEXT,
  input        TEXT NOT NULL,
  input_line   INTEGER NOT NULL,
  ingested_at  TEXT NOT NULL
) STRICT;
-- The same event ingested twice is one event.
CREATE UNIQUE INDEX task_status_event
  ON task_status(task, date, status, ifnull(progress, -1), ifnull(note, ''));

CREATE TABLE runs (
  id           INTEGER PRIMARY KEY,
  at_date      TEXT NOT NULL,
  started_at   TEXT NOT NULL,
  finished_at  TEXT,
  status       TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  error        TEXT
) STRICT;

CREATE TABLE results (
  run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  subject    TEXT NOT NULL,   -- 'rule' or 'task'
  name       TEXT NOT NULL,
  unit       TEXT,
  state      TEXT NOT NULL,
  detail     TEXT NOT NULL,   -- JSON: value, target, deadline, projection, reason
  PRIMARY KEY (run_id, subject, name, unit)
) STRICT;

CREATE TABLE alerts (
  fingerprint    TEXT PRIMARY KEY,
  subject        TEXT NOT NULL,
  name           TEXT NOT NULL,
  unit           TEXT,
  state          TEXT NOT NULL,
  severity       TEXT NOT NULL,
  lifecycle      TEXT NOT NULL CHECK (lifecycle IN ('pending', 'firing', 'resolved')),
  since          TEXT NOT NULL,
  last_notified  TEXT,
  updated_run    INTEGER REFERENCES runs(id)
) STRICT;

CREATE TABLE silences (
  id          INTEGER PRIMARY KEY,
  matchers    TEXT NOT NULL,   -- JSON
  starts_at   TEXT NOT NULL,
  ends_at     TEXT NOT NULL,
  author      TEXT NOT NULL,
  comment     TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  expired_at  TEXT
) STRICT;

CREATE TABLE outbox (
  id               INTEGER PRIMARY KEY,
  run_id           INTEGER REFERENCES runs(id),
  channel          TEXT NOT NULL,
  idempotency_key  TEXT NOT NULL UNIQUE,
  payload          TEXT NOT NULL,
  state            TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  TEXT NOT NULL,
  last_error       TEXT,
  created_at       TEXT NOT NULL,
  delivered_at     TEXT
) STRICT;
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
)sql",
      // 2: the alert lifecycle's dates, each run's alert transitions and which outbox
      // rows carry them, and what each outbox row is (its channel kind).
      R"sql(
ALTER TABLE alerts ADD COLUMN firing_since TEXT;
ALTER TABLE alerts ADD COLUMN evaluated TEXT;
CREATE INDEX alerts_open ON alerts(lifecycle);

CREATE TABLE transitions (
  id              INTEGER PRIMARY KEY,
  run_id          INTEGER NOT NULL REFERENCES runs(id),
  fingerprint     TEXT NOT NULL,
  from_lifecycle  TEXT CHECK (from_lifecycle IN ('pending', 'firing', 'resolved')),
  to_lifecycle    TEXT NOT NULL CHECK (to_lifecycle IN ('pending', 'firing', 'resolved')),
  state           TEXT NOT NULL,
  severity        TEXT NOT NULL,
  notify          TEXT CHECK (notify IN ('fired', 'changed', 'repeated', 'resolved')),
  silenced_by     INTEGER REFERENCES silences(id),
  channels        TEXT NOT NULL   -- JSON array: the channels notified
) STRICT;
CREATE INDEX transitions_by_run ON transitions(run_id);

CREATE TABLE outbox_transitions (
  outbox_id      INTEGER NOT NULL REFERENCES outbox(id),
  transition_id  INTEGER NOT NULL REFERENCES transitions(id),
  PRIMARY KEY (outbox_id, transition_id)
) STRICT;
CREATE INDEX outbox_transitions_by_transition ON outbox_transitions(transition_id);

ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'webhook'
  CHECK (kind IN ('email', 'webhook', 'alertmanager'));
ALTER TABLE outbox ADD COLUMN last_status INTEGER;
ALTER TABLE outbox ADD COLUMN last_attempt_at TEXT;

-- A random name for this database, so that the ids of its messages (webhook-id,
-- Message-ID) never repeat another database's, or an older copy's, run numbers.
CREATE TABLE store_identity (id TEXT NOT NULL);
INSERT INTO store_identity VALUES (lower(hex(randomblob(6))));
)sql",
      // 3: the evaluations `tiendo serve` was asked for (by its schedule, at start for a
      // missed one, or through the API), kept so that a request has an id before it
      // runs, a missed scheduled run is seen after a restart, and a queued request
      // survives one.
      R"sql(
CREATE TABLE evaluations (
  id             INTEGER PRIMARY KEY,
  trigger        TEXT NOT NULL CHECK (trigger IN ('schedule', 'catch-up', 'api')),
  scheduled_for  TEXT,            -- the cron tick (UTC) a scheduled or catch-up run stands for
  at_date        TEXT,            -- the evaluation date asked for; NULL: today when it starts
  requested_at   TEXT NOT NULL,
  requested_by   TEXT,            -- the token id, for API requests
  started_at     TEXT,
  finished_at    TEXT,
  state          TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
  run_id         INTEGER REFERENCES runs(id),
  summary        TEXT,            -- JSON
  error          TEXT
) STRICT;
CREATE INDEX evaluations_by_tick ON evaluations(scheduled_for) WHERE scheduled_for IS NOT NULL;
CREATE INDEX evaluations_by_state ON evaluations(state);
)sql",
      // 4: the order alerts are listed in (GET /api/v1/alerts: the most severe first,
      // then the oldest), kept by indexes so that a page is read in order rather than
      // sorted, however many alerts are open. The open alerts' own index also serves
      // load_alerts; the one by lifecycle replaces alerts_open.
      R"sql(
CREATE INDEX alerts_open_in_order ON alerts(
  (CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END), since, fingerprint)
  WHERE lifecycle != 'resolved';
CREATE INDEX alerts_by_lifecycle_in_order ON alerts(lifecycle,
  (CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END), since, fingerprint);
DROP INDEX alerts_open;
)sql",
      // 5: what a run changed in the alerts, so that `tiendo ledger rewind` can void runs
      // recorded at a wrong date (a clock off by years, a mistyped --at) and put every
      // alert back as it was before them. A row holds an alert as it stood before the run
      // rewrote it; an alert the run created has no row (its transition comes from no
      // lifecycle). `undo_log` says which runs were recorded with this log.
      R"sql(
CREATE TABLE alert_prior (
  run_id       INTEGER NOT NULL REFERENCES runs(id),
  fingerprint  TEXT NOT NULL,
  subject      TEXT NOT NULL,
  name         TEXT NOT NULL,
  unit         TEXT,
  state        TEXT NOT NULL,
  severity     TEXT NOT NULL,
  lifecycle    TEXT NOT NULL,
  since        TEXT NOT NULL,
  last_notified TEXT,
  updated_run  INTEGER,
  firing_since TEXT,
  evaluated    TEXT,
  PRIMARY KEY (run_id, fingerprint)
) STRICT;
ALTER TABLE runs ADD COLUMN undo_log INTEGER NOT NULL DEFAULT 0;
)sql",
      // 6: the labels a unit carries (units.csv's `labels`: "bien_gioi;thi_diem"), which
      // `set NAME { level L label "x" }` selects by; sorted, ';'-separated, no repeats.
      R"sql(
ALTER TABLE units ADD COLUMN labels TEXT NOT NULL DEFAULT '';
)sql",
      // 7: whether an observation is an estimate ("khoảng 83,5%", or the `estimate` column),
      // shown beside its figure ("khoảng"). Every earlier observation was given as it is;
      // a changed flag adds a revision, as a changed note does.
      R"sql(
ALTER TABLE observations ADD COLUMN estimate INTEGER NOT NULL DEFAULT 0
  CHECK (estimate IN (0, 1));
)sql",
      // 8: results kept as changes. A row is one result of (subject, name, unit) as it
      // stood from run `from_run` until run `to_run` found another or none (the largest
      // integer while it is current: closing a row then shortens it in place, where a
      // NULL growing into a number would move it). A run writes only the results that
      // changed, and "everything at run N" is the rows with from_run <= N < to_run.
      // `digest` hashes what the row says (state, figures, reason), for the next run to
      // compare with. Rows are kept in key order (no rowid), so that a result's next
      // version is written beside it, into the room that pruning its older versions
      // (tiendo gc) left: a table that churns keeps its size. The rows of a run still
      // running are not yet part of any answer; a run that fails takes its rows back
      // (fail_runs). Every result of every succeeded run moves over as a one-run span;
      // failed runs' partial results are dropped, as the new design never keeps them. The
      // migrated rows have digest 0, which no run writes (the next run rewrites them once).
      // `retention` says from which run the results are kept whole (tiendo gc).
      R"sql(
CREATE TABLE result_spans (
  subject   TEXT NOT NULL CHECK (subject IN ('rule', 'task')),
  name      TEXT NOT NULL,
  unit      TEXT NOT NULL,   -- '' for a task, or a rule without a unit
  from_run  INTEGER NOT NULL,
  to_run    INTEGER NOT NULL DEFAULT 9223372036854775807,
  digest    INTEGER NOT NULL,
  state     TEXT NOT NULL,
  detail    TEXT NOT NULL,   -- JSON: severity, figures, version, why
  PRIMARY KEY (subject, name, unit, from_run)
) STRICT, WITHOUT ROWID;
CREATE INDEX result_spans_ended ON result_spans(to_run) WHERE to_run < 9223372036854775807;
INSERT INTO result_spans (subject, name, unit, from_run, to_run, digest, state, detail)
SELECT results.subject, results.name, ifnull(results.unit, ''), results.run_id,
  ifnull((SELECT min(later.id) FROM runs later
          WHERE later.id > results.run_id AND later.status = 'succeeded'),
         9223372036854775807),
  0, results.state, results.detail
FROM results JOIN runs ON runs.id = results.run_id AND runs.status = 'succeeded';
DROP TABLE results;
ALTER TABLE runs ADD COLUMN results_changed INTEGER;
CREATE TABLE retention (
  results_from_run  INTEGER NOT NULL,   -- results at earlier runs were pruned
  pruned_at         TEXT NOT NULL
);
)sql",
      // 9: a span row keeps its key, its runs and its digest, and points to what it says
      // (state and detail JSON, ~130 bytes) in result_details, written once, in the order
      // rows are written. A run that changes a result everywhere (a correction of 1% of
      // the observations touches a fifth of the results, spread over every page of the
      // table) then rewrites pages of ~50-byte rows beside their keys, and appends the
      // details: a quarter of the pages it rewrote when the details sat in the span.
      // A span's details go with it (the trigger), whatever deletes it: a failed run, a
      // rewind, retention.
      R"sql(
CREATE TABLE result_details (
  id      INTEGER PRIMARY KEY,
  state   TEXT NOT NULL,
  detail  TEXT NOT NULL    -- JSON: severity, figures, version, why
) STRICT;
CREATE TABLE result_spans_9 (
  subject   TEXT NOT NULL CHECK (subject IN ('rule', 'task')),
  name      TEXT NOT NULL,
  unit      TEXT NOT NULL,   -- '' for a task, or a rule without a unit
  from_run  INTEGER NOT NULL,
  to_run    INTEGER NOT NULL DEFAULT 9223372036854775807,
  digest    INTEGER NOT NULL,
  details   INTEGER NOT NULL,  -- result_details.id
  PRIMARY KEY (subject, name, unit, from_run)
) STRICT, WITHOUT ROWID;
INSERT INTO result_details (id, state, detail)
SELECT row_number() OVER (ORDER BY subject, name, unit, from_run), state, detail
FROM result_spans;
INSERT INTO result_spans_9 (subject, name, unit, from_run, to_run, digest, details)
SELECT subject, name, unit, from_run, to_run, digest,
  row_number() OVER (ORDER BY subject, name, unit, from_run)
FROM result_spans;
DROP TABLE result_spans;
ALTER TABLE result_spans_9 RENAME TO result_spans;
CREATE INDEX result_spans_ended ON result_spans(to_run) WHERE to_run < 9223372036854775807;
CREATE TRIGGER result_spans_details_go AFTER DELETE ON result_spans
BEGIN
  DELETE FROM result_details WHERE id = old.details;
END;
)sql",
      // 9 -> 10: no index of the ended spans. Every run that changes results ends as many
      // spans as it writes, and keeping that index cost a third of ending them (bench_eval's
      // 1% run: 215,286 spans ended in 0.78 s without it, 1.43 s with it). Retention, its
      // one reader, walks the table in key order instead (store::prune_runs).
      R"sql(
DROP INDEX IF EXISTS result_spans_ended;
)sql",
      // 10 -> 11: the same CHECKs on an alert's and a transition's lifecycle and notify,
      // written with = and OR. SQLite checks `x IN (three or more values)` by building a
      // temporary index of the values for every row written: 78,578 alert upserts and as
      // many transitions spent most of their time opening and closing those (perf). The
      // text of the tables is edited in place (SQLite's documented way to change a CHECK
      // that every row already meets); Database::migrate then bumps the schema cookie so
      // that every connection reads it again.
      R"sql(
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(replace(replace(replace(sql,
  'CHECK (lifecycle IN (''pending'', ''firing'', ''resolved''))',
  'CHECK (lifecycle = ''pending'' OR lifecycle = ''firing'' OR lifecycle = ''resolved'')'),
  'CHECK (from_lifecycle IN (''pending'', ''firing'', ''resolved''))',
  'CHECK (from_lifecycle = ''pending'' OR from_lifecycle = ''firing'' OR from_lifecycle = ''resolved'')'),
  'CHECK (to_lifecycle IN (''pending'', ''firing'', ''resolved''))',
  'CHECK (to_lifecycle = ''pending'' OR to_lifecycle = ''firing'' OR to_lifecycle = ''resolved'')'),
  'CHECK (notify IN (''fired'', ''changed'', ''repeated'', ''resolved''))',
  'CHECK (notify = ''fired'' OR notify = ''changed'' OR notify = ''repeated'' OR notify = ''resolved'')')
WHERE type = 'table' AND name IN ('alerts', 'transitions');
PRAGMA writable_schema = OFF;
)sql",
      // 11 -> 12: which of the services sharing a store leads (runs the schedule and the
      // deliveries): one row; its epoch goes up at each change of leader and fences off a
      // former leader's writes (store/leadership).
      R"sql(
CREATE TABLE leadership (
  id      INTEGER PRIMARY KEY CHECK (id = 1),
  epoch   INTEGER NOT NULL,
  holder  TEXT NOT NULL,
  since   TEXT NOT NULL
) STRICT;
)sql",
      // 12 -> 13: a number that every transaction changing the alerts raises (a run's
      // outcome, a rewind), so that a service can keep the counts of an alerts listing
      // until it changes (store::AlertCountCache): counting the open alerts of a national
      // store was most of what an alerts request cost.
      R"sql(
CREATE TABLE alerts_version (
  id       INTEGER PRIMARY KEY CHECK (id = 1),
  version  INTEGER NOT NULL
) STRICT;
INSERT INTO alerts_version (id, version) VALUES (1, 0);
)sql",
      // 13 -> 14: versions of the rule set (store/rule_versions): each the whole set of
      // files, never changed once written; a text is kept once however many versions
      // hold it.
      R"sql(
CREATE TABLE rule_texts (
  digest  TEXT PRIMARY KEY,  -- SHA-256 of the text, hex
  text    TEXT NOT NULL
) STRICT;
CREATE TABLE rule_versions (
  version        INTEGER PRIMARY KEY,
  created_at     TEXT NOT NULL,
  author         TEXT NOT NULL,
  message        TEXT NOT NULL,
  source         TEXT NOT NULL CHECK (source IN ('files', 'editor', 'restore')),
  restored_from  INTEGER REFERENCES rule_versions(version),
  disk_digest    TEXT  -- read from files: their digest
) STRICT;
CREATE TABLE rule_version_files (
  version   INTEGER NOT NULL REFERENCES rule_versions(version),
  position  INTEGER NOT NULL,
  name      TEXT NOT NULL,
  digest    TEXT NOT NULL REFERENCES rule_texts(digest),
  PRIMARY KEY (version, position)
) STRICT;
)sql",
      // 14 -> 15: a target's alerts, which its page lists and counts by rule (and unit),
      // read through an index rather than a scan of every alert (bench/serve on
      // PostgreSQL, 84,000 alerts: 20 to 100 ms a page, under a millisecond with it).
      R"sql(
CREATE INDEX alerts_by_subject ON alerts (subject, name, unit);
)sql",
  };
  return all;
}

}  // namespace tiendo::store
