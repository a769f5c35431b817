// The body of the `ingest` fuzz target, shared by the libFuzzer executable (fuzz_ingest)
// and the corpus replay that every build runs as a test (fuzz_replay_ingest).
#pragma once

#include <cstddef>
#include <cstdint>

// The CSV and JSON readers and the ingest of engine/store, as `tiendo ingest` and the
// bodies of POST /api/v1/observations and /api/v1/task-status reach them, without the
// HTTP layer around them (the `api` target fuzzes that, with few inputs per second):
//
//   byte 0  bits 0-1: which kinds are accepted (any, observations, statuses; 3 = any);
//           bits 2-3: the decimal mark (auto, comma, dot; 3 = auto); bits 4-5:
//           --percent-as (require the sign, points, fraction; 3 = require); bit 6:
//           --skip-bad; bit 7: without the repository's rules (any name goes)
//   rest    the input, CSV or JSON as its first character says
//
// Each input goes into a fresh in-memory database holding the examples' units. Aborts
// when a promise breaks:
//   - read_csv, read_json and read_records: a header comes before its records, each
//     record has the header's number of fields, lines never go back and never pass the
//     input's last line, and errors' lines are within the input too;
//   - ingest returns no DbError on a healthy database; a summary counts at least the
//     errors it lists (at most max_reported_errors); an ingest that is not committed
//     wrote nothing, and one with errors is committed only with --skip-bad;
//   - the same input ingested again (after a commit) is committed again and adds no
//     observation and no task status (a re-ingest of the same values adds no revision).
// Returns 0 otherwise, as libFuzzer expects. Not thread-safe.
int tiendo_fuzz_ingest(const std::uint8_t* data, std::size_t size);
