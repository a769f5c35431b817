// libFuzzer entry point for the `api` target; the body is in api_target.cpp.
#include <cstddef>
#include <cstdint>

#include "api_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return tiendo_fuzz_api(data, size);
}
