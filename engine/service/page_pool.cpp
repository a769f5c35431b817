#include "service/page_pool.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>

namespace tiendo::service {

PagePool::PagePool(unsigned threads, int nice) {
  errno = 0;
  const int base = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
  const int target = errno == 0 ? std::min(19, base + nice) : base;
  std::atomic<bool> refused = false;
  std::mutex started_mutex;
  std::condition_variable started;
  unsigned ready = 0;
  for (unsigned i = 0; i < std::max(1u, threads); ++i) {
    threads_.emplace_back([this, target, &refused, &started_mutex, &started, &ready] {
      if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), target) != 0) refused = true;
      {
        // Notified under the lock: once the constructor sees every thread ready it returns,
        // and `started` (on its stack) is gone; a notify after the unlock could land on
        // whatever took its place (seen: a hang, and free(): invalid pointer at start).
        std::lock_guard lock(started_mutex);
        ++ready;
        started.notify_all();
      }
      work();
    });
  }
  std::unique_lock lock(started_mutex);
  started.wait(lock, [&] { return ready == threads_.size(); });
  thread_nice_ = refused ? base : target;
}

PagePool::~PagePool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void PagePool::work() {
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, and every job taken
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

}  // namespace tiendo::service
