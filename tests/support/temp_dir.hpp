// A scratch directory for tests and benchmarks.
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

}  // namespace tiendo::testing
