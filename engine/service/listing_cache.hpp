// The alerts listings' answers, kept while the alerts are as they were (GET /api/v1/alerts
// is the API's most frequent read: a committee's screens and integrations poll it).
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "store/alerts.hpp"

namespace tiendo::service {

// Bodies of answers, each kept under the store's alerts listing version it was made after
// (store::alert_listing_version, one row to read); all of them dropped once a later
// version is seen. Bounded in keys and bytes (past either, it starts again empty); a body
// larger than kMaxBody is not kept. Thread-safe.
class ListingCache {
 public:
  using Version = store::AlertListingVersion;
  // The body kept for `key` at `version`; null when none is.
  std::shared_ptr<const std::string> find(const std::string& key, const Version& version) const;
  void keep(const std::string& key, const Version& version, std::string body);

  static constexpr std::size_t kMaxKeys = 512;
  static constexpr std::size_t kMaxBytes = std::size_t{32} << 20;
  static constexpr std::size_t kMaxBody = std::size_t{1} << 20;

 private:
  mutable std::mutex mutex_;
  Version version_{-1, -1};
  std::unordered_map<std::string, std::shared_ptr<const std::string>> bodies_;
  std::size_t bytes_ = 0;
};

}  // namespace tiendo::service
