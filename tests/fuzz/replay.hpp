// The corpus replay shared by the fuzz targets' replay executables (replay_check.cpp,
// replay_api.cpp): each runs its target once over every file of a corpus directory (or
// over files named directly), so the committed corpus is a regression test in every
// build, with or without libFuzzer.
#pragma once

#include <cstddef>
#include <cstdint>

using FuzzTarget = int (*)(const std::uint8_t* data, std::size_t size);

// `main` for `PROGRAM DIR_OR_FILE...`: runs `target` on each input in name order,
// printing each name before it runs. Returns 0 when every input ran, 1 when an input
// cannot be read or none was found, 2 on bad usage; a broken target aborts.
int replay_corpus(int argc, char** argv, FuzzTarget target);
