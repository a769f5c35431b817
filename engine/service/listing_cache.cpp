#include "service/listing_cache.hpp"

namespace tiendo::service {

ListingCache::Turn::Turn(Turn&& other) noexcept
    : cache_(std::exchange(other.cache_, nullptr)),
      key_(std::move(other.key_)),
      version_(other.version_) {}

ListingCache::Turn& ListingCache::Turn::operator=(Turn&& other) noexcept {
  if (this != &other) {
    release();
    cache_ = std::exchange(other.cache_, nullptr);
    key_ = std::move(other.key_);
    version_ = other.version_;
  }
  return *this;
}

ListingCache::Turn::~Turn() { release(); }

void ListingCache::Turn::release() {
  if (cache_ == nullptr) return;
  {
    const std::lock_guard lock(cache_->mutex_);
    cache_->making_.erase({key_, version_});
  }
  cache_->made_.notify_all();
  cache_ = nullptr;
}

std::shared_ptr<const std::string> ListingCache::find_or_make(const std::string& key,
                                                              const Version& version,
                                                              std::chrono::milliseconds wait,
                                                              Turn& turn) {
  turn = Turn();
  const auto deadline = std::chrono::steady_clock::now() + wait;
  std::unique_lock lock(mutex_);
  bool waited = false;
  for (;;) {
    if (version == version_) {
      const auto found = bodies_.find(key);
      if (found != bodies_.end()) return found->second;
    }
    if (!making_.contains({key, version})) {
      // Waited for a maker that kept nothing (it failed, or the answer is too large to
      // keep): each waiting request makes its own, none of them waiting for another.
      if (waited) return nullptr;
      making_.emplace(key, version);
      turn = Turn(this, key, version);
      return nullptr;
    }
    if (made_.wait_until(lock, deadline) == std::cv_status::timeout) return nullptr;
    waited = true;
  }
}

void ListingCache::keep(const std::string& key, const Version& version, std::string body) {
  if (body.size() > kMaxBody) return;
  const std::lock_guard lock(mutex_);
  // A body made at an older version than the kept ones is of no use; one at a later
  // version starts the cache again, as does one past its bounds.
  if (version < version_) return;
  if (version > version_ || bodies_.size() >= kMaxKeys || bytes_ + body.size() > kMaxBytes) {
    bodies_.clear();
    bytes_ = 0;
    version_ = version;
  }
  auto kept = std::make_shared<const std::string>(std::move(body));
  const std::size_t size = kept->size();
  auto [at, added] = bodies_.try_emplace(key, kept);
  if (!added) {
    bytes_ -= at->second->size();
    at->second = std::move(kept);
  }
  bytes_ += size;
}

}  // namespace tiendo::service
