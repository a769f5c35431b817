// A scratch directory for tests and benchmarks, and the reading and writing of its files.
#pragma once

#include <string>

namespace tiendo::testing {

// A fresh directory under the system temporary directory, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The whole file; empty when it cannot be read.
std::string read_text(const std::string& path);
// Writes `text` as the whole file; throws std::runtime_error when it cannot.
void write_text(const std::string& path, const std::string& text);

}  // namespace tiendo::testing
