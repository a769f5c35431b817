// A door threads wait at until another opens it: for a test's server handler that must
// hold its answer until the test is done with it. Every wait is bounded, so that a server
// always stops.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace tiendo::testing {

class Latch {
 public:
  void open() {
    {
      const std::lock_guard lock(mutex_);
      open_ = true;
    }
    opened_.notify_all();
  }
  // Closes it again, for the next use.
  void reset() {
    const std::lock_guard lock(mutex_);
    open_ = false;
  }
  // Until it is open or `bound` has passed; whether it is open.
  bool wait(std::chrono::milliseconds bound) {
    std::unique_lock lock(mutex_);
    return opened_.wait_for(lock, bound, [this] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable opened_;
  bool open_ = false;
};

}  // namespace tiendo::testing
