// Which of the services sharing a store leads: runs the scheduled evaluations, the
// evaluations asked through the API and the deliveries. Every service answers the API.
//
// On PostgreSQL the lead is a session advisory lock that PostgreSQL arbitrates, held by
// the leadership's own connection: it goes when that connection does — the process ends,
// however it ends, or the server or the network drops the connection — and a follower
// trying every few seconds takes it. Each new leader raises the store's leadership epoch
// (one row, table leadership); the leader's work connections carry that epoch as a fence
// (Database::fence), so that a write of a former leader that lost the lead without
// knowing it (a connection cut) is refused rather than doubling a run or a delivery.
//
// On SQLite one service holds a file (its lock file beside it) and leads from its start.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "store/database.hpp"

namespace tiendo::store {

struct Leader {
  std::int64_t epoch = 0;
  std::string holder;  // the instance's name (host:pid unless configured)
  std::string since;   // UTC, when it took the lead
};

class Leadership {
 public:
  // Opens the leadership's own connection to the store at `location`; `instance` names
  // this service in the store and in its status.
  static DbResult<Leadership> open(const std::string& location, std::string instance);

  Leadership(Leadership&&) noexcept;
  Leadership& operator=(Leadership&&) noexcept;
  ~Leadership();

  // Takes the lead when no one holds it, or checks that this instance still does; whether
  // it leads now. `now` (UTC) is written as `since` when it takes the lead. A database
  // error means it does not lead (and says why).
  DbResult<bool> hold(std::string_view now);
  // Gives the lead up at once (a clean stop), so that a follower need not wait.
  void release();

  bool leads() const { return leads_; }
  // The epoch this instance leads in (0 while it does not lead).
  std::int64_t epoch() const { return leads_ ? epoch_ : 0; }

 private:
  Leadership(std::unique_ptr<Database> db, std::string instance)
      : db_(std::move(db)), instance_(std::move(instance)) {}
  DbResult<std::int64_t> raise_epoch(std::string_view now);

  std::unique_ptr<Database> db_;
  std::string instance_;
  bool leads_ = false;
  std::int64_t epoch_ = 0;
};

// Who leads the store, as it says (nullopt before any service led it).
DbResult<std::optional<Leader>> current_leader(Database& db);

}  // namespace tiendo::store
