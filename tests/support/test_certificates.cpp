#include "support/test_certificates.hpp"

#include <unistd.h>

#include <chrono>
#include <vector>

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace tiendo::testing {

namespace {

// Runs openssl with `arguments` to its end (at most 60 s); false with `error` on failure.
bool openssl(const std::vector<std::string>& arguments, const std::string& log,
             std::string& error) {
  std::vector<std::string> argv = {kOpenssl};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  ChildProcess child(argv,
                     ChildProcessOptions{.pipe_stdout = false, .log = log, .environment = {}});
  const int status = child.wait_exit(std::chrono::seconds(60));
  if (status == 0) return true;
  error = "openssl " + arguments.front() + " " + arguments.at(1) + " failed (" +
          (status == -2 ? std::string("timed out") : "exit " + std::to_string(status)) + "):\n" +
          read_text(log);
  if (status == -2) child.terminate(std::chrono::seconds(5));
  return false;
}

// A self-signed authority's key and certificate.
bool make_authority(const std::string& key, const std::string& certificate, const std::string& name,
                    const std::string& log, std::string& error) {
  return openssl(
      {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
       "-days", "2", "-subj", "/CN=" + name, "-addext", "basicConstraints=critical,CA:TRUE",
       "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-keyout", key, "-out", certificate},
      log, error);
}

}  // namespace

std::optional<TestCertificates> make_test_certificates(const std::string& directory,
                                                       std::string& error) {
  if (::access(kOpenssl, X_OK) != 0) {
    error = std::string(kOpenssl) + " is not installed (Debian's openssl)";
    return std::nullopt;
  }
  const std::string log = directory + "/openssl.log";
  const std::string ca_key = directory + "/ca.key";
  const std::string request = directory + "/server.csr";
  const std::string extensions = directory + "/server.ext";
  TestCertificates made{directory + "/ca.pem", directory + "/server.pem", directory + "/server.key",
                        directory + "/other-ca.pem"};
  write_text(extensions,
             "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
             "basicConstraints=critical,CA:FALSE\n"
             "keyUsage=critical,digitalSignature\n"
             "extendedKeyUsage=serverAuth\n");
  if (!make_authority(ca_key, made.ca, "tiendo test CA", log, error) ||
      !make_authority(directory + "/other-ca.key", made.other_ca, "another test CA", log, error) ||
      !openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-subj", "/CN=127.0.0.1", "-keyout", made.key, "-out", request},
               log, error) ||
      !openssl({"x509", "-req", "-in", request, "-CA", made.ca, "-CAkey", ca_key, "-set_serial",
                "2", "-days", "2", "-extfile", extensions, "-out", made.certificate},
               log, error)) {
    return std::nullopt;
  }
  return made;
}

}  // namespace tiendo::testing
