#include "service/listing_cache.hpp"

namespace tiendo::service {

std::shared_ptr<const std::string> ListingCache::find(const std::string& key,
                                                      const Version& version) const {
  const std::lock_guard lock(mutex_);
  if (version != version_) return nullptr;
  const auto found = bodies_.find(key);
  return found == bodies_.end() ? nullptr : found->second;
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
