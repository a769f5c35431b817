// The body of the `api` fuzz target, shared by the libFuzzer executable (fuzz_api) and
// the corpus replay that every build runs as a test (fuzz_replay_api).
#pragma once

#include <cstddef>
#include <cstdint>

// Decodes `data` into one HTTP API request and hands it to service::Api::handle, as
// the HTTP server (http_server.cpp) does after parsing a request:
//
//   byte 0  the method: GET POST DELETE PUT HEAD PATCH OPTIONS (modulo 7)
//   byte 1  the Authorization header (modulo 8): none; a read, write or admin token;
//           "Bearer " + garbage; a bare garbage value; "Bearer " alone; the admin
//           token with an odd-case scheme and blanks. Garbage is the next
//           (byte 1 / 8) % 16 bytes of the input
//   byte 2  the Content-Type header (modulo 8): application/json, text/csv,
//           text/csv; charset=utf-8, text/plain, none, garbage (as above, length
//           (byte 2 / 8) % 16), application/json; charset=utf-8, TEXT/CSV; charset=latin1
//   byte 3  odd: the path starts with one of the known route prefixes (byte 3 / 2, modulo
//           their count) and the line below is appended; even: the line is the whole path
//   rest    up to the first '\n': the path and "?query" (split on '&', then on the first
//           '='; not percent-decoded); after it: the body
//
// On the first call it sets up, once for the process, a service on a temporary SQLite
// database holding the repository's examples (and one alert run, one silence and one
// queued evaluation), with the repository's rules and a tokens file, without starting
// its threads. Aborts when a response breaks the API's promises (status in 200..599;
// a 4xx/5xx is a JSON object whose "status" is the status and whose "message" is a
// non-empty string; a 2xx application/json body is JSON; no 500 at all, since a 500 is a
// handler's exception or a database failure; no CR or LF in a header); otherwise
// returns 0, as libFuzzer expects. Not thread-safe. With TIENDO_FUZZ_API_VERBOSE set in
// the environment, prints each request and the start of its response to stderr.
int tiendo_fuzz_api(const std::uint8_t* data, std::size_t size);
