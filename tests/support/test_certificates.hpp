// A certificate authority made at test time with openssl, and a server certificate it
// signed for 127.0.0.1: for the local TLS servers (SMTP STARTTLS, HTTPS receivers) whose
// certificates the tests verify, with the authority trusted through the client's CA file
// and not through the system's store.
#pragma once

#include <optional>
#include <string>

#include "support/temp_dir.hpp"

namespace tiendo::testing {

struct TestCertificates {
  std::string ca;           // the authority's certificate (PEM): what a client trusts
  std::string certificate;  // the server's certificate for 127.0.0.1 and localhost (PEM)
  std::string key;          // the server certificate's private key (PEM)
  std::string other_ca;     // an authority that signed nothing here (PEM)
};

inline constexpr const char* kOpenssl = "/usr/bin/openssl";

// Makes the files in `directory` (which must exist), valid for two days. Nullopt when
// openssl is missing or fails, with `error` saying which step and what it printed.
std::optional<TestCertificates> make_test_certificates(const std::string& directory,
                                                       std::string& error);

// make_test_certificates in a temporary directory of its own, removed with the object:
//   const TestCa certificates;
//   ASSERT_TRUE(certificates.made()) << certificates.error();
//   settings.ca_file = certificates->ca;
class TestCa {
 public:
  TestCa() : made_(make_test_certificates(dir_.path(), error_)) {}
  bool made() const { return made_.has_value(); }
  const std::string& error() const { return error_; }
  const TestCertificates* operator->() const { return &made_.value(); }

 private:
  TempDir dir_;
  std::string error_;
  std::optional<TestCertificates> made_;
};

}  // namespace tiendo::testing
