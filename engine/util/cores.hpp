// The cores a thread may run on. An evaluation's pools (the snapshot's readers, the
// evaluator's blocks, the results' digests) are as large as the cores their thread may use,
// so that keeping the service's runner on fewer cores ([schedule] cores) keeps its whole
// evaluation there, at the size that fits.
#pragma once

#include <string>
#include <variant>
#include <vector>

namespace tiendo::util {

// How many cores the calling thread may run on (its affinity mask, as nproc counts them);
// std::thread::hardware_concurrency() when the system does not say; at least 1.
unsigned usable_cores();

// Keeps the calling thread, and the threads it starts from then on (they inherit it), on
// `count` of the cores it may run on now: the highest-numbered ones, as the first cores
// take more of the system's interrupts. Returns the cores kept (ascending), all of them
// when `count` is as many or more; or why the system refused.
std::variant<std::vector<int>, std::string> keep_on_cores(unsigned count);

}  // namespace tiendo::util
