// Runs the `dates` fuzz target once over each file of a corpus directory (or over
// files named directly), so the committed corpus is a regression test in every build.
//
//   fuzz_replay_dates DIR_OR_FILE...
#include "dates_target.hpp"
#include "replay.hpp"

int main(int argc, char** argv) { return replay_corpus(argc, argv, tiendo_fuzz_dates); }
