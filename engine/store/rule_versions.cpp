#include "store/rule_versions.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <map>

#include "store/sql/statements.hpp"
#include "util/result.hpp"

namespace tiendo::store {

namespace {

using namespace sql;

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr) != 1) {
    return {};
  }
  std::string hex;
  hex.reserve(size * 2);
  for (unsigned int i = 0; i < size; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

constexpr std::string_view kInfoColumns =
    "version, created_at, author, message, source, restored_from";

RuleVersionInfo info_of(const Statement& q) {
  RuleVersionInfo info;
  info.version = q.column_int(0);
  info.created_at = q.column_text(1);
  info.author = q.column_text(2);
  info.message = q.column_text(3);
  info.source = q.column_text(4);
  if (!q.column_is_null(5)) info.restored_from = q.column_int(5);
  return info;
}

}  // namespace

std::string rule_files_digest(const std::vector<RuleFile>& files) {
  // Each name and text preceded by its length: no two lists of files share a digest input.
  std::string all;
  for (const RuleFile& f : files) {
    all += fmt::format("{}:{}{}:{}", f.name.size(), f.name, f.text.size(), f.text);
  }
  return sha256_hex(all);
}

namespace {

// The version's rows; a DbError from the INSERT of its number is in `refused`.
std::optional<DbError> write_version(Database& db, const NewRuleVersion& version,
                                     std::int64_t number, std::optional<DbError>& refused) {
  Statement row = sql::prepare(db,
                               "INSERT INTO rule_versions (version, created_at, author, "
                               "message, source, restored_from, disk_digest) "
                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  row.bind(1, number).bind(2, version.created_at).bind(3, version.author);
  row.bind(4, version.message).bind(5, version.source).bind(6, version.restored_from);
  row.bind_text_or_null(7, version.disk_digest);
  if ((refused = run(row))) return std::nullopt;
  Statement text = sql::prepare(
      db, "INSERT INTO rule_texts (digest, text) VALUES (?1, ?2) ON CONFLICT DO NOTHING");
  Statement file = sql::prepare(db,
                                "INSERT INTO rule_version_files (version, position, name, "
                                "digest) VALUES (?1, ?2, ?3, ?4)");
  std::int64_t position = 0;
  for (const RuleFile& f : version.files) {
    const std::string digest = sha256_hex(f.text);
    text.reset();
    text.bind(1, digest).bind(2, f.text);
    TIENDO_RETURN_IF_ERROR(run(text));
    file.reset();
    file.bind(1, number).bind(2, position++).bind(3, f.name).bind(4, digest);
    TIENDO_RETURN_IF_ERROR(run(file));
  }
  return std::nullopt;
}

}  // namespace

DbResult<std::variant<std::int64_t, RuleVersionConflict>> save_rule_version(
    Database& db, const NewRuleVersion& version) {
  std::int64_t number = 0;
  std::optional<DbError> refused;
  {
    Transaction tx(db);
    if (tx.error()) return *tx.error();
    TIENDO_ASSIGN_OR_RETURN(const std::int64_t current, current_rule_version(db));
    if (current != version.base) return RuleVersionConflict{current};
    number = current + 1;
    TIENDO_RETURN_IF_ERROR(write_version(db, version, number, refused));
    if (!refused) TIENDO_RETURN_IF_ERROR(tx.commit());
  }
  if (refused) {
    // Another service saved the same number first (on PostgreSQL both transactions ran
    // at once): a conflict, once that service's version is visible.
    TIENDO_ASSIGN_OR_RETURN(const std::int64_t now, current_rule_version(db));
    if (now != version.base) return RuleVersionConflict{now};
    return *refused;
  }
  return number;
}

DbResult<std::int64_t> current_rule_version(Database& db) {
  Statement q = sql::prepare(db, "SELECT coalesce(max(version), 0) FROM rule_versions");
  if (!q.step()) return q.error().value_or(DbError{"cannot read the rule set's versions"});
  return q.column_int(0);
}

DbResult<std::optional<RuleVersion>> find_rule_version(Database& db, std::int64_t version) {
  // A version's rows are written by one transaction and never change: no need of one here.
  Statement q = sql::prepare(
      db, fmt::format("SELECT {} FROM rule_versions WHERE version = ?1", kInfoColumns));
  q.bind(1, version);
  if (!q.step()) {
    if (q.error()) return *q.error();
    return std::optional<RuleVersion>();
  }
  RuleVersion found{info_of(q), {}};
  Statement files = sql::prepare(db,
                                 "SELECT f.name, t.text FROM rule_version_files f JOIN "
                                 "rule_texts t ON t.digest = f.digest WHERE f.version = ?1 "
                                 "ORDER BY f.position");
  files.bind(1, version);
  while (files.step()) {
    found.info.names.push_back(files.column_text(0));
    found.files.push_back({files.column_text(0), files.column_text(1)});
  }
  if (files.error()) return *files.error();
  return std::optional<RuleVersion>(std::move(found));
}

DbResult<std::vector<RuleVersionInfo>> list_rule_versions(Database& db, std::size_t limit) {
  Statement q = sql::prepare(
      db, fmt::format("SELECT {} FROM rule_versions ORDER BY version DESC LIMIT ?1", kInfoColumns));
  q.bind(1, static_cast<std::int64_t>(limit));
  std::vector<RuleVersionInfo> out;
  while (q.step()) out.push_back(info_of(q));
  if (q.error()) return *q.error();
  if (out.empty()) return out;
  std::map<std::int64_t, RuleVersionInfo*> by_number;
  for (RuleVersionInfo& info : out) by_number[info.version] = &info;
  Statement names = sql::prepare(db,
                                 "SELECT version, name FROM rule_version_files WHERE version "
                                 ">= ?1 AND version <= ?2 ORDER BY version, position");
  names.bind(1, out.back().version).bind(2, out.front().version);
  while (names.step()) {
    if (const auto it = by_number.find(names.column_int(0)); it != by_number.end()) {
      it->second->names.push_back(names.column_text(1));
    }
  }
  if (names.error()) return *names.error();
  return out;
}

DbResult<std::optional<std::string>> last_files_digest(Database& db) {
  Statement q = sql::prepare(db,
                             "SELECT disk_digest FROM rule_versions WHERE source = 'files' "
                             "ORDER BY version DESC LIMIT 1");
  std::optional<std::string> digest;
  if (q.step() && !q.column_is_null(0)) digest = q.column_text(0);
  if (q.error()) return *q.error();
  return digest;
}

}  // namespace tiendo::store
