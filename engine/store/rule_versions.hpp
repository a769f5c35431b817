// Versions of the rule set, kept in the store so that every service sharing it runs the
// same one (docs/authoring.md, "Where rule sets live"). A version is the whole rule set:
// every file's name (its path as the service loaded it) and text, in load order, with
// who saved it, when, why and how (read from the files, saved in the editor, restored
// from an earlier version). Versions are never changed or deleted: a roll back is a new
// version with an earlier one's files. Texts are kept once however many versions hold
// them (by their SHA-256).
//
// Transactions: save_rule_version takes its own; the readers are single statements or
// read a version's rows consistently in one transaction. Thread safety: none of its own;
// one thread uses a Database at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "store/database.hpp"

namespace tiendo::store {

struct RuleFile {
  std::string name;  // the path the service loaded it from
  std::string text;
  bool operator==(const RuleFile&) const = default;
};

struct RuleVersionInfo {
  std::int64_t version = 0;
  std::string created_at;  // UTC time stamp
  std::string author;      // the token's id, or who reloaded the files
  std::string message;
  std::string source;  // files | editor | restore
  std::optional<std::int64_t> restored_from;
  std::vector<std::string> names;  // its files, in load order
};

struct RuleVersion {
  RuleVersionInfo info;
  std::vector<RuleFile> files;
};

struct NewRuleVersion {
  std::string created_at, author, message, source;
  std::optional<std::int64_t> restored_from;
  // For a version read from the files: their digest (rule_files_digest), by which a
  // service that starts or reloads tells files changed since they were last read.
  std::string disk_digest;
  std::vector<RuleFile> files;
  // The version the change was made on (0: the store has none): when another was saved
  // since, nothing is written and the answer says which is current.
  std::int64_t base = 0;
};

struct RuleVersionConflict {
  std::int64_t current = 0;
};

// The SHA-256 (64 lowercase hex digits) of the files' names and texts, in order.
std::string rule_files_digest(const std::vector<RuleFile>& files);

// Writes a new version numbered one past the latest; its number, or the conflict.
DbResult<std::variant<std::int64_t, RuleVersionConflict>> save_rule_version(
    Database& db, const NewRuleVersion& version);
// The latest version's number; 0 when the store has none.
DbResult<std::int64_t> current_rule_version(Database& db);
DbResult<std::optional<RuleVersion>> find_rule_version(Database& db, std::int64_t version);
// The latest `limit` versions, newest first (without texts).
DbResult<std::vector<RuleVersionInfo>> list_rule_versions(Database& db, std::size_t limit);
// The digest of the files the latest version read from files was made of (none when no
// version was).
DbResult<std::optional<std::string>> last_files_digest(Database& db);

}  // namespace tiendo::store
