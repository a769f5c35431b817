// What every benchmark shares: its own peak memory. (Arguments are parsed with CLI11,
// like the tiendo command line.)
#pragma once

#include <sys/resource.h>

namespace tiendo::bench {

// The process's peak resident memory in MB (10^6 bytes); ru_maxrss is in KiB.
inline double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) * 1024.0 / 1e6;
}

}  // namespace tiendo::bench
