#include "util/cores.hpp"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <cstring>
#include <thread>

namespace tiendo::util {

namespace {

// The calling thread's cores, ascending; empty when the system does not say.
std::vector<int> allowed_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cores;
  if (::pthread_getaffinity_np(::pthread_self(), sizeof set, &set) != 0) return cores;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) cores.push_back(cpu);
  }
  return cores;
}

}  // namespace

unsigned usable_cores() {
  const std::vector<int> cores = allowed_cores();
  if (!cores.empty()) return static_cast<unsigned>(cores.size());
  return std::max(1u, std::thread::hardware_concurrency());
}

std::variant<std::vector<int>, std::string> keep_on_cores(unsigned count) {
  std::vector<int> cores = allowed_cores();
  if (cores.empty()) return std::string("the system does not say which cores this thread may use");
  if (count == 0 || count >= cores.size()) return cores;
  cores.erase(cores.begin(), cores.end() - count);
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int cpu : cores) CPU_SET(cpu, &set);
  if (const int error = ::pthread_setaffinity_np(::pthread_self(), sizeof set, &set); error != 0) {
    return std::string(std::strerror(error));
  }
  return cores;
}

}  // namespace tiendo::util
