// Runs the `lsp` fuzz target once over each file of a corpus directory (or over
// files named directly), so the committed corpus is a regression test in every build.
//
//   fuzz_replay_lsp DIR_OR_FILE...
#include "lsp_target.hpp"
#include "replay.hpp"

int main(int argc, char** argv) { return replay_corpus(argc, argv, tiendo_fuzz_lsp); }
