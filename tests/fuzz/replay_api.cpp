// Runs the `api` fuzz target once over each file of a corpus directory (or over files
// named directly), so the committed corpus is a regression test in every build, with
// or without libFuzzer. The target keeps one service across inputs, so inputs run in
// name order.
//
//   fuzz_replay_api DIR_OR_FILE...
#include "api_target.hpp"
#include "replay.hpp"

int main(int argc, char** argv) { return replay_corpus(argc, argv, tiendo_fuzz_api); }
