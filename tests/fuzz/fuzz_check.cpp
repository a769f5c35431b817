// libFuzzer entry point for the `check` target; the body is in check_target.cpp.
#include <cstddef>
#include <cstdint>

#include "check_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return tiendo_fuzz_check(data, size);
}
