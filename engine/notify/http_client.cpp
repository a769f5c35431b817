#include "notify/http_client.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <utility>

#include "model/calendar.hpp"
#include "notify/redact.hpp"
#include "util/text.hpp"

namespace tiendo::notify {

namespace {

// Enough of an error page to say what went wrong (a JSON error object, the title of an
// HTML page); the rest is never read, and it is all an outbox row keeps of it.
constexpr std::size_t kKeptBody = 512;
// Any other text quoted in an error: libcurl's message, a scheme, a header name.
constexpr std::size_t kShownText = 256;

struct EasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct CurlFree {
  void operator()(char* text) const { curl_free(text); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;
using Url = std::unique_ptr<CURLU, UrlDeleter>;
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;
using CurlText = std::unique_ptr<char, CurlFree>;

// curl_global_init is not thread-safe and must run before any other thread uses libcurl.
CURLcode init_curl_once() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return result;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    return lower(x) == lower(y);
  });
}

// Text from elsewhere (a receiver's body, libcurl's message; never long: the body is
// read up to kKeptBody) on one line: runs of spaces, tabs and line breaks become one
// space, then the rest is escaped and capped; `unread` as for util::cap_for_display.
std::string one_line(std::string_view text, std::size_t max_bytes = kShownText,
                     std::size_t unread = 0) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return util::cap_for_display(out, max_bytes, unread);
}

// RFC 9110 token characters, the only ones a header name may have.
bool is_header_name(std::string_view name) {
  constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [&](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           kSymbols.find(c) != std::string_view::npos;
  });
}

struct Response {
  std::string body;         // at most kKeptBody bytes
  std::size_t offered = 0;  // bytes libcurl handed over, kept or not
  bool stopped_reading = false;
  std::string retry_after;
  std::string location;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) noexcept {
  auto& response = *static_cast<Response*>(user);
  const std::size_t length = size * count;
  response.offered += length;
  const std::size_t room = kKeptBody - response.body.size();
  response.body.append(data, std::min(length, room));  // within the reserved capacity
  if (length > room) {
    // Reading on gains nothing and a receiver that streams forever would use up the
    // total timeout, turning an answered request into a retry.
    response.stopped_reading = true;
    return 0;
  }
  return length;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) noexcept {
  auto& response = *static_cast<Response*>(user);
  const std::string_view line(data, size * count);
  try {
    if (line.starts_with("HTTP/")) {  // a new response (after 100 Continue): start over
      response.retry_after.clear();
      response.location.clear();
    } else if (const std::size_t colon = line.find(':'); colon != std::string_view::npos) {
      const std::string_view name = line.substr(0, colon);
      const std::string_view value = util::trim(line.substr(colon + 1), " \t\r\n");
      if (equals_ignoring_case(name, "Retry-After")) response.retry_after = value;
      if (equals_ignoring_case(name, "Location")) response.location = value;
    }
  } catch (...) {
    return 0;  // out of memory: abort the transfer, which reports a write error
  }
  return line.size();
}

std::optional<std::chrono::seconds> parse_retry_after(const std::string& value,
                                                      std::chrono::system_clock::time_point now) {
  if (value.empty()) return std::nullopt;
  // Whatever the receiver says is taken as at most ten years (model::kMaxClockDuration):
  // longer than any max_age, so the message is given up, and never an overflow of the
  // clock when added to now (10^18 seconds would be, and 10^30 digits too many for an
  // int64 is the same wish).
  constexpr std::int64_t kMax = model::kMaxClockDuration.count();
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    std::int64_t seconds = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec == std::errc::result_out_of_range) return model::kMaxClockDuration;
    if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
    return std::chrono::seconds(std::min(seconds, kMax));
  }
  const std::int64_t date = curl_getdate(value.c_str(), nullptr);
  if (date == -1) return std::nullopt;
  const std::int64_t now_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  return std::chrono::seconds(date > now_seconds ? std::min(date - now_seconds, kMax) : 0);
}

// libcurl takes long milliseconds and reads 0 as "no timeout", which a request
// must never mean.
long timeout_ms(std::chrono::milliseconds timeout) {
  return static_cast<long>(
      std::clamp<std::int64_t>(timeout.count(), 1, std::numeric_limits<long>::max()));
}

Outcome outcome_for_status(long status) {
  if (status >= 200 && status < 300) return Outcome::delivered;
  if (status == 408 || status == 429 || (status >= 500 && status < 600)) return Outcome::retry;
  if (status >= 300 && status < 500) return Outcome::reject;
  return Outcome::retry;  // no status, or one outside HTTP's range
}

HttpResult failure(Outcome outcome, std::string error) {
  HttpResult result;
  result.outcome = outcome;
  result.error = std::move(error);
  return result;
}

HttpResult post_once(const HttpRequest& request, std::chrono::system_clock::time_point now) {
  const CURLcode init = init_curl_once();
  const std::string target = redact_url(request.url);
  if (init != CURLE_OK) {
    return failure(Outcome::retry, fmt::format("POST {}: libcurl could not be initialised: {}",
                                               target, curl_easy_strerror(init)));
  }

  // The URL is parsed here rather than by curl_easy_perform so that a malformed URL or
  // another scheme is told apart from a failure that retrying could cure.
  const Url url{curl_url()};
  if (url == nullptr) throw std::bad_alloc();
  if (request.url.find('\0') != std::string::npos) {
    return failure(Outcome::reject,
                   fmt::format("POST {}: malformed URL (it holds a NUL byte)", target));
  }
  if (const CURLUcode parsed =
          curl_url_set(url.get(), CURLUPART_URL, request.url.c_str(), CURLU_NON_SUPPORT_SCHEME);
      parsed != CURLUE_OK) {
    return failure(Outcome::reject,
                   fmt::format("POST {}: malformed URL ({})", target, curl_url_strerror(parsed)));
  }
  {
    char* raw_scheme = nullptr;
    if (curl_url_get(url.get(), CURLUPART_SCHEME, &raw_scheme, 0) != CURLUE_OK) {
      return failure(Outcome::reject, fmt::format("POST {}: malformed URL (no scheme)", target));
    }
    const CurlText scheme{raw_scheme};
    if (std::string_view(scheme.get()) != "http" && std::string_view(scheme.get()) != "https") {
      return failure(Outcome::reject,
                     fmt::format("POST {}: unsupported protocol \"{}\" (only http and https)",
                                 target, one_line(scheme.get())));
    }
  }

  Slist headers;
  const auto add_header = [&headers](const std::string& line) {
    curl_slist* grown = curl_slist_append(headers.get(), line.c_str());
    if (grown == nullptr) throw std::bad_alloc();  // the list so far is still ours
    if (headers == nullptr) headers.reset(grown);  // otherwise `grown` is the same list
  };
  bool has_content_type = false;
  bool has_expect = false;
  for (const auto& [name, value] : request.headers) {
    if (!is_header_name(name)) {
      return failure(Outcome::reject, fmt::format("POST {}: \"{}\" is not a valid header name",
                                                  target, one_line(name)));
    }
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return failure(
          Outcome::reject,
          fmt::format("POST {}: header {} has a line break or NUL in its value", target, name));
    }
    has_content_type = has_content_type || equals_ignoring_case(name, "Content-Type");
    has_expect = has_expect || equals_ignoring_case(name, "Expect");
    // "Name:" would tell curl to drop the header; "Name;" sends it empty.
    add_header(value.empty() ? name + ";" : name + ": " + value);
  }
  if (!has_content_type) add_header("Content-Type: application/json");
  // curl waits up to a second for "100 Continue" before sending a body over 1 KiB, and
  // many receivers never send one.
  if (!has_expect) add_header("Expect:");

  const Easy easy{curl_easy_init()};
  if (easy == nullptr) {
    return failure(Outcome::retry,
                   fmt::format("POST {}: libcurl could not create a handle", target));
  }
  CURL* const handle = easy.get();
  Response response;
  response.body.reserve(kKeptBody);
  char curl_error[CURL_ERROR_SIZE] = {};

  CURLcode setup = CURLE_OK;
  const auto check = [&setup](CURLcode code) {
    if (setup == CURLE_OK) setup = code;
  };
  check(curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, curl_error));
  check(curl_easy_setopt(handle, CURLOPT_CURLU, url.get()));
  check(curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L));
  // A proxy from the environment can never reach this machine's loopback receivers.
  const std::string no_proxy = loopback_no_proxy(request.getenv);
  check(curl_easy_setopt(handle, CURLOPT_NOPROXY, no_proxy.c_str()));
  check(curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L));
  check(curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https"));
  check(curl_easy_setopt(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"));
  check(curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, 1L));
  check(curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, 2L));
  if (!request.ca_file.empty()) {
    // Exactly these authorities: the system's directory of them is not searched as well.
    check(curl_easy_setopt(handle, CURLOPT_CAINFO, request.ca_file.c_str()));
    check(curl_easy_setopt(handle, CURLOPT_CAPATH, static_cast<const char*>(nullptr)));
  }
  check(curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms(request.connect_timeout)));
  check(curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, timeout_ms(request.total_timeout)));
  check(curl_easy_setopt(handle, CURLOPT_POST, 1L));
  check(curl_easy_setopt(handle, CURLOPT_POSTFIELDS, request.body.data()));
  check(curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(request.body.size())));
  check(curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get()));
  check(curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, on_body));
  check(curl_easy_setopt(handle, CURLOPT_WRITEDATA, &response));
  check(curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, on_header));
  check(curl_easy_setopt(handle, CURLOPT_HEADERDATA, &response));
  if (setup != CURLE_OK) {
    // A libcurl too old for one of the options: sending without it (say, without the
    // protocol restriction) would be unsafe.
    return failure(Outcome::retry, fmt::format("POST {}: libcurl refused an option: {}", target,
                                               curl_easy_strerror(setup)));
  }

  CURLcode code = curl_easy_perform(handle);
  if (code == CURLE_WRITE_ERROR && response.stopped_reading) code = CURLE_OK;

  HttpResult result;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &result.status);
  result.retry_after = parse_retry_after(response.retry_after, now);

  if (code != CURLE_OK) {
    result.outcome = code == CURLE_URL_MALFORMAT || code == CURLE_UNSUPPORTED_PROTOCOL
                         ? Outcome::reject
                         : Outcome::retry;
    std::string text = one_line(curl_error);
    if (text.empty()) text = curl_easy_strerror(code);
    if (code == CURLE_OUT_OF_MEMORY && result.status != 0) {
      // How libcurl reports a header line longer than it reads (CURL_MAX_HTTP_HEADER,
      // 100 KB), which is what a status followed by this error almost always is.
      text = fmt::format("HTTP {} with a header too long to read ({})", result.status, text);
    }
    result.error = fmt::format("POST {}: {}", target, text);
    return result;
  }

  result.outcome = outcome_for_status(result.status);
  if (result.outcome == Outcome::delivered) return result;
  if (result.status >= 300 && result.status < 400) {
    char* redirect = nullptr;
    curl_easy_getinfo(handle, CURLINFO_REDIRECT_URL, &redirect);
    const std::string_view location =
        redirect != nullptr ? std::string_view(redirect) : std::string_view(response.location);
    result.error = location.empty()
                       ? fmt::format("POST {}: HTTP {} redirect without a Location, not followed",
                                     target, result.status)
                       : fmt::format("POST {}: HTTP {} redirect to {} not followed", target,
                                     result.status, redact_url(location));
    return result;
  }
  if (result.status < 100 || result.status >= 600) {
    result.error = fmt::format("POST {}: unexpected HTTP status {}", target, result.status);
    return result;
  }
  result.error = fmt::format("POST {}: HTTP {}", target, result.status);
  if (result.retry_after) {
    result.error += fmt::format(" (Retry-After {} s)", result.retry_after->count());
  }
  std::size_t unread = 0;
  if (response.stopped_reading) {
    // What the Content-Length announced beyond what was kept, or (chunked) at least
    // what arrived and was dropped.
    curl_off_t length = -1;
    curl_easy_getinfo(handle, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
    const std::size_t announced = length > 0 ? static_cast<std::size_t>(length) : 0;
    unread = std::max(announced, response.offered) - response.body.size();
  }
  if (const std::string body = one_line(response.body, kKeptBody, unread); !body.empty()) {
    result.error += ": " + body;
  }
  return result;
}

}  // namespace

HttpResult post(const HttpRequest& request, std::chrono::system_clock::time_point now) {
  // Only running out of memory throws below; the outbox should try again later.
  try {
    return post_once(request, now);
  } catch (const std::exception& e) {
    HttpResult result;
    try {
      result.error = fmt::format("POST {}: {}", redact_url(request.url), e.what());
    } catch (...) {
    }
    return result;
  } catch (...) {
    return HttpResult{};
  }
}

}  // namespace tiendo::notify
