// libFuzzer entry point for the `dates` target; the body is in dates_target.cpp.
#include <cstddef>
#include <cstdint>

#include "dates_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return tiendo_fuzz_dates(data, size);
}
