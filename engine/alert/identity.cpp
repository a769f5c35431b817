// What names an alert: its fingerprint. (Its subject, lifecycle and notification kinds as
// text are the store's: store/alerts.hpp.)
#include <fmt/format.h>
#include <openssl/sha.h>

#include "alert/alert.hpp"

namespace tiendo::alert {

std::string fingerprint(Subject subject, std::string_view name, std::string_view unit) {
  std::string key(to_string(subject));
  key += '\0';
  key += name;
  key += '\0';
  key += unit;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest);
  std::string hex;
  for (int i = 0; i < 8; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

}  // namespace tiendo::alert
