// libFuzzer entry point for the `lsp` target; the body is in lsp_target.cpp.
#include <cstddef>
#include <cstdint>

#include "lsp_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return tiendo_fuzz_lsp(data, size);
}
