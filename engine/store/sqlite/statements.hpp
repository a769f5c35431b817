// Inside the store only: what the SQLite implementation of the store's interfaces needs
// beyond Database's public face. Nothing above engine/store includes this header.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/database.hpp"
#include "store/outbox.hpp"

namespace tiendo::store::sqlite {

// Runs `statement` to completion; the error to return when it failed.
std::optional<DbError> run(Statement& statement);
// Rows changed by the connection's last INSERT, UPDATE or DELETE.
std::int64_t changes(Database& db);
// The row id the connection's last INSERT gave.
std::int64_t last_insert_id(Database& db);
// Enqueues one message of run `run_id`, due at once (store/outbox.cpp); its row id, which
// the run's transitions are linked to.
DbResult<std::int64_t> insert_message(Database& db, std::int64_t run_id,
                                      std::string_view created_at, const OutboxMessage& message);

}  // namespace tiendo::store::sqlite
