// The alerts listings' answers, kept while the alerts are as they were (GET /api/v1/alerts
// is the API's most frequent read: a committee's screens and integrations poll it).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

#include "store/alerts.hpp"

namespace tiendo::service {

// Bodies of answers, each kept under the store's alerts listing version it was made after
// (store::alert_listing_version, one row to read); all of them dropped once a later
// version is seen. Bounded in keys and bytes (past either, it starts again empty); a body
// larger than kMaxBody is not kept. Thread-safe.
//
// One request at a time makes a missing answer (find_or_make): the others that ask for
// the same key at the same version meanwhile wait for it rather than make it too. Every
// run changes the version, and the screens that poll the listing ask for the same page
// at once: each of them made it, a count over every open alert each, all together on a
// machine whose cores the evaluation has (bench/serve: four at a time, up to 190 ms each).
class ListingCache {
 public:
  using Version = store::AlertListingVersion;

  // A request's turn to make the answer for a key at a version: until it is let go (its
  // destructor, once the answer is kept, or the request failed), the others asking for
  // that answer wait.
  class Turn {
   public:
    Turn() = default;
    Turn(Turn&& other) noexcept;
    Turn& operator=(Turn&& other) noexcept;
    Turn(const Turn&) = delete;
    Turn& operator=(const Turn&) = delete;
    ~Turn();
    explicit operator bool() const { return cache_ != nullptr; }

   private:
    friend class ListingCache;
    Turn(ListingCache* cache, std::string key, Version version)
        : cache_(cache), key_(std::move(key)), version_(version) {}
    void release();
    ListingCache* cache_ = nullptr;
    std::string key_;
    Version version_{};
  };

  // The body kept for `key` at `version`, after waiting (`wait` at most) for a request
  // that is making it. Null when there is none: then `turn` is this request's turn to make
  // it (keep() it, then let the turn go), or empty when it waited and still has none (the
  // wait ran out, or the maker kept nothing: it failed, or the body is past kMaxBody):
  // make it anyway, without a turn, so that no request waits on more than one other.
  std::shared_ptr<const std::string> find_or_make(const std::string& key, const Version& version,
                                                  std::chrono::milliseconds wait, Turn& turn);
  void keep(const std::string& key, const Version& version, std::string body);

  static constexpr std::size_t kMaxKeys = 512;
  static constexpr std::size_t kMaxBytes = std::size_t{32} << 20;
  static constexpr std::size_t kMaxBody = std::size_t{1} << 20;

 private:
  std::mutex mutex_;
  Version version_{-1, -1};
  std::unordered_map<std::string, std::shared_ptr<const std::string>> bodies_;
  std::size_t bytes_ = 0;
  // The answers being made, each by one request's turn (at most one a key and version).
  std::set<std::pair<std::string, Version>> making_;
  std::condition_variable made_;
};

}  // namespace tiendo::service
