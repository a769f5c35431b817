// The corpus replay shared by the fuzz targets; see replay.hpp.
#include "replay.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

namespace fs = std::filesystem;

namespace {

bool read_bytes(const fs::path& path, std::string& bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

}  // namespace

int replay_corpus(int argc, char** argv, FuzzTarget target) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR_OR_FILE...\n", argv[0]);
    return 2;
  }
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const fs::path arg(argv[i]);
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      for (const fs::directory_entry& entry : fs::directory_iterator(arg, ec)) {
        if (entry.is_regular_file(ec)) inputs.push_back(entry.path());
      }
      if (ec) {
        std::fprintf(stderr, "error: cannot list %s: %s\n", argv[i], ec.message().c_str());
        return 1;
      }
    } else if (fs::is_regular_file(arg, ec)) {
      inputs.push_back(arg);
    } else {
      std::fprintf(stderr, "error: %s is neither a file nor a directory\n", argv[i]);
      return 1;
    }
  }
  // Name order, so a crash shows up at the same input on every machine.
  std::sort(inputs.begin(), inputs.end());

  std::string bytes;
  for (const fs::path& input : inputs) {
    if (!read_bytes(input, bytes)) {
      std::fprintf(stderr, "error: cannot read %s\n", input.c_str());
      return 1;
    }
    // Named before it runs: if the input crashes, this is the last line printed.
    std::printf("%s\n", input.filename().c_str());
    std::fflush(stdout);
    target(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  }
  // An empty corpus would make the test pass without testing anything.
  if (inputs.empty()) {
    std::fprintf(stderr, "error: no inputs found\n");
    return 1;
  }
  std::printf("replayed %zu inputs\n", inputs.size());
  return 0;
}
