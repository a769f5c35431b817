// libFuzzer entry point for the `ingest` target; the body is in ingest_target.cpp.
#include <cstddef>
#include <cstdint>

#include "ingest_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return tiendo_fuzz_ingest(data, size);
}
