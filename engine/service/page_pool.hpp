// The threads the committee's HTML pages are made on. A page costs tens of milliseconds of
// CPU (a dashboard reads the counts of a million results, a unit's page its results); an
// API read costs a few. When both want the cores, the pages give way: their threads run
// at a higher nice value than the request handlers, which hand them the page and wait.
// (The runner and the warmer give way to both, Service::kBackgroundNice.) bench/serve: see
// docs/deploy.md.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace tiendo::service {

class PagePool {
 public:
  // `threads` threads at `nice` above the process's nice value (19 at most). Raising a
  // thread's own nice value needs no privilege; a system that refuses leaves it as it is.
  PagePool(unsigned threads, int nice);
  ~PagePool();
  PagePool(const PagePool&) = delete;
  PagePool& operator=(const PagePool&) = delete;

  // Runs `job` on one of the pool's threads and returns what it returns (or throws what
  // it throws), waiting for it.
  template <class Job>
  std::invoke_result_t<Job&> run(Job&& job) {
    std::packaged_task<std::invoke_result_t<Job&>()> task(std::forward<Job>(job));
    auto result = task.get_future();
    {
      std::lock_guard lock(mutex_);
      jobs_.emplace_back([&task] { task(); });
    }
    wake_.notify_one();
    return result.get();
  }

  // The nice value its threads took (the process's when the system refused).
  int thread_nice() const { return thread_nice_; }

 private:
  void work();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  int thread_nice_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace tiendo::service
