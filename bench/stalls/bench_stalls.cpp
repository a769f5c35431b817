// bench_stalls: how long this machine stops running a thread that never waits. One busy
// thread per core, each pinned to its core, reads the monotonic clock in a loop; a jump of
// more than --gap-ms between two readings is time the thread did not run. Measured twice:
// with every core busy, then with one core left idle. On a machine of its own the only
// gaps are short (interrupts, the kernel's own threads); a virtual machine whose host
// caps its CPU time stops its cores when they are all busy, for as long as the host's
// period (100 ms seen on the machine the figures in docs/deploy.md come from), which no
// software on it can avoid. bench/serve/run prints these figures before its window, so
// that a latency tail under a load that keeps every core busy is read with them.
//
//   bench_stalls [--seconds 5] [--gap-ms 5]
//
// Prints, for each phase, a line for people and one for scripts:
//   bench_stalls threads=N seconds=S gaps=G gaps_over_50ms=H max_ms=M lost_pct=P
#include <fmt/format.h>
#include <pthread.h>
#include <sched.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Gaps {
  std::int64_t count = 0;
  std::int64_t over_50ms = 0;
  double max_ms = 0;
  double lost_ms = 0;
};

// Spins on `core` (when the system lets it pin the thread) until `until`, counting the
// gaps longer than `gap`.
Gaps spin(unsigned core, Clock::time_point until, Clock::duration gap) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(core, &set);
  (void)pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  Gaps gaps;
  Clock::time_point last = Clock::now();
  while (last < until) {
    const Clock::time_point now = Clock::now();
    if (now - last > gap) {
      const double ms = std::chrono::duration<double, std::milli>(now - last).count();
      ++gaps.count;
      if (ms > 50) ++gaps.over_50ms;
      gaps.max_ms = std::max(gaps.max_ms, ms);
      gaps.lost_ms += ms;
    }
    last = now;
  }
  return gaps;
}

// `threads` busy threads for `seconds`; the gaps of all of them.
Gaps measure(unsigned threads, double seconds, Clock::duration gap) {
  const Clock::time_point until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                     std::chrono::duration<double>(seconds));
  std::vector<Gaps> each(threads);
  {
    std::vector<std::jthread> workers;
    for (unsigned i = 0; i < threads; ++i) {
      workers.emplace_back([&, i] { each[i] = spin(i, until, gap); });
    }
  }
  Gaps all;
  for (const Gaps& g : each) {
    all.count += g.count;
    all.over_50ms += g.over_50ms;
    all.max_ms = std::max(all.max_ms, g.max_ms);
    all.lost_ms += g.lost_ms;
  }
  return all;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bench_stalls: how long the machine stops a thread that never waits"};
  double seconds = 5;
  double gap_ms = 5;
  app.add_option("--seconds", seconds, "seconds per phase")->check(CLI::Range(0.1, 600.0));
  app.add_option("--gap-ms", gap_ms, "a jump of the clock counted as a stop")
      ->check(CLI::Range(0.1, 1000.0));
  CLI11_PARSE(app, argc, argv);

  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const auto gap = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double, std::milli>(gap_ms));
  for (const unsigned threads : {cores, cores - 1}) {
    if (threads == 0) continue;
    const Gaps g = measure(threads, seconds, gap);
    const double lost_pct = 100.0 * g.lost_ms / (1000.0 * seconds * threads);
    fmt::print(
        "{} busy thread(s) on {} core(s), {:.0f} s: {} stops over {:.0f} ms ({} over "
        "50 ms), the longest {:.1f} ms; {:.1f}% of the time stopped\n",
        threads, cores, seconds, g.count, gap_ms, g.over_50ms, g.max_ms, lost_pct);
    fmt::print(
        "bench_stalls threads={} seconds={:.1f} gaps={} gaps_over_50ms={} max_ms={:.1f} "
        "lost_pct={:.2f}\n",
        threads, seconds, g.count, g.over_50ms, g.max_ms, lost_pct);
  }
  return 0;
}
