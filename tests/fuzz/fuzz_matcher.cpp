// libFuzzer entry point for the `matcher` target; the body is in matcher_target.cpp.
#include <cstddef>
#include <cstdint>

#include "matcher_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return tiendo_fuzz_matcher(data, size);
}
