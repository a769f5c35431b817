// Runs the `check` fuzz target once over each file of a corpus directory (or over files
// named directly), so the committed corpus is a regression test in every build, with
// or without libFuzzer.
//
//   fuzz_replay_check DIR_OR_FILE...
#include "check_target.hpp"
#include "replay.hpp"

int main(int argc, char** argv) { return replay_corpus(argc, argv, tiendo_fuzz_check); }
