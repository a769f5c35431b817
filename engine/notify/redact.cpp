#include "notify/redact.hpp"

#include <algorithm>
#include <array>

#include "util/text.hpp"

namespace tiendo::notify {

namespace {

constexpr std::string_view kHidden = "***";
constexpr std::size_t kMaxWord = 32;
constexpr std::size_t kMaxHost = 253;

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Letters, '-', '_' and '.': a name, never a token (tokens have digits, or are long).
bool is_word(std::string_view text) {
  return !text.empty() && text.size() <= kMaxWord &&
         std::all_of(text.begin(), text.end(),
                     [](char c) { return is_letter(c) || c == '-' || c == '_' || c == '.'; });
}

// "v1", "v2", "V10": an API version.
bool is_version(std::string_view text) {
  return text.size() >= 2 && text.size() <= 4 && (text[0] == 'v' || text[0] == 'V') &&
         std::all_of(text.begin() + 1, text.end(), is_digit);
}

// Path segments that receivers use to name their endpoints. A word after the first
// segment is shown only when it is one of these: a Slack-style token may be letters
// only, and the first segment (services, hooks, api) is already enough to recognise it.
bool is_endpoint_word(std::string_view text) {
  static constexpr std::array<std::string_view, 10> kWords = {
      "api",      "alerts",   "hooks",  "hook",     "webhook",
      "webhooks", "services", "events", "messages", "notify"};
  const std::string lower = util::ascii_lower(text);
  return std::find(kWords.begin(), kWords.end(), lower) != kWords.end();
}

bool is_scheme(std::string_view text) {
  return !text.empty() && text.size() <= 16 && is_letter(text[0]) &&
         std::all_of(text.begin(), text.end(), [](char c) {
           return is_letter(c) || is_digit(c) || c == '+' || c == '-' || c == '.';
         });
}

bool is_port(std::string_view text) {
  return !text.empty() && text.size() <= 5 && std::all_of(text.begin(), text.end(), is_digit);
}

// A registered name or IPv4 address (UTF-8 bytes of a name in another script allowed).
bool is_host_name(std::string_view text) {
  return text.size() <= kMaxHost && std::all_of(text.begin(), text.end(), [](char c) {
           return is_letter(c) || is_digit(c) || c == '.' || c == '-' || c == '_' || c == '~' ||
                  static_cast<unsigned char>(c) >= 0x80;
         });
}

bool is_ip_literal(std::string_view text) {  // inside the brackets
  return !text.empty() && text.size() <= 64 && std::all_of(text.begin(), text.end(), [](char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
           c == '.' || c == '%' || is_letter(c);
  });
}

// host[:port] without the user:password part, or *** when it does not read as one
// (a password that a stray '/' cut off from its '@' looks like a port that is not
// a number).
std::string shown_authority(std::string_view authority) {
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  std::string_view host = authority, port;
  bool has_port = false;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos || !is_ip_literal(authority.substr(1, close - 1))) {
      return std::string(kHidden);
    }
    host = authority.substr(0, close + 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::string(kHidden);
      has_port = true;
      port = after.substr(1);
    }
  } else {
    if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      has_port = true;
    }
    if (!is_host_name(host)) return std::string(kHidden);
  }
  if (has_port && !is_port(port)) return std::string(kHidden);
  std::string out(host);
  if (has_port) {
    out += ':';
    out += port;
  }
  return out;
}

std::string_view shown_segment(std::string_view segment, bool first) {
  if (segment.empty() || is_version(segment)) return segment;
  if (first ? is_word(segment) : is_endpoint_word(segment)) return segment;
  return kHidden;
}

}  // namespace

std::string redact_url(std::string_view url) {
  std::string out;
  std::string_view rest = url;
  if (const std::size_t separator = rest.find("://");
      separator != std::string_view::npos && is_scheme(rest.substr(0, separator))) {
    out += rest.substr(0, separator + 3);
    rest.remove_prefix(separator + 3);
  }
  rest = rest.substr(0, rest.find('#'));  // never sent, and no business of the log
  std::string_view query;
  const std::size_t question = rest.find('?');
  if (question != std::string_view::npos) {
    query = rest.substr(question + 1);
    rest = rest.substr(0, question);
  }
  const std::size_t slash = rest.find('/');
  out += shown_authority(rest.substr(0, slash));
  if (slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash + 1);
    for (bool first = true;; first = false) {
      const std::size_t end = path.find('/');
      out += '/';
      out += shown_segment(path.substr(0, end), first);
      if (end == std::string_view::npos) break;
      path.remove_prefix(end + 1);
    }
  }
  if (question != std::string_view::npos) {
    out += '?';
    for (bool first = true;; first = false) {
      const std::size_t end = query.find('&');
      const std::string_view item = query.substr(0, end);
      if (!first) out += '&';
      if (!item.empty()) {
        const std::size_t equals = item.find('=');
        const std::string_view name =
            equals == std::string_view::npos ? std::string_view() : item.substr(0, equals);
        out += is_word(name) ? name : kHidden;
        if (equals != std::string_view::npos) {
          out += '=';
          out += kHidden;
        }
      }
      if (end == std::string_view::npos) break;
      query.remove_prefix(end + 1);
    }
  }
  return util::cap_for_display(out, kMaxShownUrl);
}

}  // namespace tiendo::notify
