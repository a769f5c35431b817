// util::usable_cores and util::keep_on_cores on the real system: a thread kept on fewer
// cores counts them, the threads it starts inherit them, and its siblings keep theirs.
#include "util/cores.hpp"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>

#include <thread>
#include <variant>
#include <vector>

namespace tiendo::util {
namespace {

TEST(Cores, AThreadKeptOnOneCoreCountsOneAndSoDoThreadsItStarts) {
  const unsigned all = usable_cores();
  ASSERT_GE(all, 1u);
  unsigned kept_count = 0, child_count = 0, sibling_count = 0;
  std::vector<int> kept;
  std::thread kept_thread([&] {
    const auto result = keep_on_cores(1);
    ASSERT_TRUE(std::holds_alternative<std::vector<int>>(result)) << std::get<std::string>(result);
    kept = std::get<std::vector<int>>(result);
    kept_count = usable_cores();
    std::thread child([&] { child_count = usable_cores(); });
    child.join();
  });
  kept_thread.join();
  std::thread sibling([&] { sibling_count = usable_cores(); });
  sibling.join();
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept_count, 1u);
  EXPECT_EQ(child_count, 1u);
  // The test's own thread, and so a thread it starts, keeps every core it had.
  EXPECT_EQ(sibling_count, all);
  EXPECT_EQ(usable_cores(), all);
  // The highest-numbered of them: the first cores take more of the system's interrupts.
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(pthread_getaffinity_np(pthread_self(), sizeof set, &set), 0);
  int highest = -1;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) highest = cpu;
  }
  EXPECT_EQ(kept.front(), highest);
}

TEST(Cores, AskingForAsManyCoresOrMoreKeepsThemAll) {
  const unsigned all = usable_cores();
  for (const unsigned asked : {all, all + 3, 0u}) {
    std::vector<int> kept;
    unsigned after = 0;
    std::thread t([&] {
      const auto result = keep_on_cores(asked);
      if (const auto* cores = std::get_if<std::vector<int>>(&result)) kept = *cores;
      after = usable_cores();
    });
    t.join();
    EXPECT_EQ(kept.size(), all) << asked;
    EXPECT_EQ(after, all) << asked;
  }
}

}  // namespace
}  // namespace tiendo::util
