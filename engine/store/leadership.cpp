#include "store/leadership.hpp"

#include <fmt/format.h>

#include "store/sql/statements.hpp"
#include "util/result.hpp"

namespace tiendo::store {

namespace {

// The advisory lock of the lead ("tiendo-l"), apart from the write lock of transactions.
constexpr std::int64_t kLeaderLock = 0x7469656e646f2d6cLL;

// Whether this session holds the lead's advisory lock (a bigint key is classid = its high
// 32 bits, objid = its low 32 bits, objsubid = 1 in pg_locks).
constexpr std::string_view kHolding = R"sql(
SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()
  AND granted AND objsubid = 1 AND classid = ?1 AND objid = ?2)sql";

}  // namespace

DbResult<Leadership> Leadership::open(const std::string& location, std::string instance) {
  TIENDO_ASSIGN_OR_RETURN(Database db, Database::open(location, Database::Mode::existing));
  return Leadership(std::make_unique<Database>(std::move(db)), std::move(instance));
}

Leadership::Leadership(Leadership&&) noexcept = default;
Leadership& Leadership::operator=(Leadership&&) noexcept = default;
Leadership::~Leadership() { release(); }

DbResult<std::int64_t> Leadership::raise_epoch(std::string_view now) {
  Transaction tx(*db_);
  if (tx.error()) return *tx.error();
  Statement raise = sql::prepare(*db_, R"sql(
INSERT INTO leadership (id, epoch, holder, since) VALUES (1, 1, ?1, ?2)
ON CONFLICT (id) DO UPDATE SET epoch = leadership.epoch + 1, holder = excluded.holder,
  since = excluded.since
RETURNING epoch)sql");
  raise.bind(1, instance_).bind(2, now);
  if (!raise.step()) return raise.error().value_or(DbError{"the leadership row was not written"});
  const std::int64_t epoch = raise.column_int(0);
  raise.reset();
  TIENDO_RETURN_IF_ERROR(tx.commit());
  return epoch;
}

DbResult<bool> Leadership::hold(std::string_view now) {
  if (!db_) return false;
  if (db_->engine() == Engine::sqlite) {
    // The lock file made this service the only one on the file.
    if (!leads_) {
      TIENDO_ASSIGN_OR_RETURN(epoch_, raise_epoch(now));
      leads_ = true;
    }
    return true;
  }
  const std::int64_t high =
      static_cast<std::int64_t>(static_cast<std::uint64_t>(kLeaderLock) >> 32);
  const std::int64_t low = kLeaderLock & 0xffffffffLL;
  if (leads_) {
    // Still the same session with the lock (a connection that was cut and made again
    // holds nothing), and no one raised the epoch since.
    Statement holding = sql::prepare(*db_, kHolding);
    holding.bind(1, high).bind(2, low);
    const bool held = holding.step() && holding.column_int(0) == 1;
    if (holding.error()) {
      leads_ = false;
      return *holding.error();
    }
    holding.reset();
    auto leader = current_leader(*db_);
    if (auto* error = std::get_if<DbError>(&leader)) {
      leads_ = false;
      return *error;
    }
    const auto& found = std::get<std::optional<Leader>>(leader);
    leads_ = held && found && found->epoch == epoch_;
    return leads_;
  }
  Statement take = sql::prepare(*db_, "SELECT pg_try_advisory_lock(?1)");
  take.bind(1, kLeaderLock);
  if (!take.step()) return take.error().value_or(DbError{"no answer to the lead's lock"});
  const bool taken = take.column_int(0) == 1;
  take.reset();
  if (!taken) return false;
  auto raised = raise_epoch(now);
  if (auto* error = std::get_if<DbError>(&raised)) {
    release();
    return *error;
  }
  epoch_ = std::get<std::int64_t>(raised);
  leads_ = true;
  return true;
}

void Leadership::release() {
  if (!db_ || !leads_) return;
  leads_ = false;
  if (db_->engine() == Engine::postgresql) {
    Statement unlock = sql::prepare(*db_, "SELECT pg_advisory_unlock(?1)");
    unlock.bind(1, kLeaderLock);
    unlock.run();
  }
}

DbResult<std::optional<Leader>> current_leader(Database& db) {
  Statement q = sql::prepare(db, "SELECT epoch, holder, since FROM leadership WHERE id = 1");
  if (q.step()) {
    return std::optional<Leader>(Leader{q.column_int(0), q.column_text(1), q.column_text(2)});
  }
  if (q.error()) return *q.error();
  return std::optional<Leader>();
}

}  // namespace tiendo::store
