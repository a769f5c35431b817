// What names an alert: its subject, lifecycle and notification kinds as text, and its
// fingerprint.
#include <fmt/format.h>
#include <openssl/sha.h>

#include "alert/alert.hpp"

namespace tiendo::alert {

std::string_view to_string(Subject subject) { return subject == Subject::rule ? "rule" : "task"; }

std::string_view to_string(Lifecycle lifecycle) {
  switch (lifecycle) {
    case Lifecycle::pending:
      return "pending";
    case Lifecycle::firing:
      return "firing";
    case Lifecycle::resolved:
      return "resolved";
  }
  return "pending";
}

std::string_view to_string(NotifyKind kind) {
  switch (kind) {
    case NotifyKind::fired:
      return "fired";
    case NotifyKind::changed:
      return "changed";
    case NotifyKind::repeated:
      return "repeated";
    case NotifyKind::resolved:
      return "resolved";
  }
  return "fired";
}

std::optional<Subject> parse_subject(std::string_view text) {
  if (text == "rule") return Subject::rule;
  if (text == "task") return Subject::task;
  return std::nullopt;
}

std::optional<Lifecycle> parse_lifecycle(std::string_view text) {
  for (Lifecycle l : {Lifecycle::pending, Lifecycle::firing, Lifecycle::resolved}) {
    if (to_string(l) == text) return l;
  }
  return std::nullopt;
}

std::optional<NotifyKind> parse_notify_kind(std::string_view text) {
  for (NotifyKind k :
       {NotifyKind::fired, NotifyKind::changed, NotifyKind::repeated, NotifyKind::resolved}) {
    if (to_string(k) == text) return k;
  }
  return std::nullopt;
}

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
