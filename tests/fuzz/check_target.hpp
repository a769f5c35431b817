// The body of the `check` fuzz target, shared by the libFuzzer executable (fuzz_check)
// and the corpus replay that every build runs as a test (fuzz_replay_check).
#pragma once

#include <cstddef>
#include <cstdint>

// Parses `data` as one rules file (includes are refused, so the input is all there is),
// checks it and renders every diagnostic as text and JSON. Aborts when the front end
// breaks one of its own promises; otherwise returns 0, as libFuzzer expects.
int tiendo_fuzz_check(const std::uint8_t* data, std::size_t size);
