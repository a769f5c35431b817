// The body of the `dates` fuzz target, shared by the libFuzzer executable (fuzz_dates)
// and the corpus replay that every build runs as a test (fuzz_replay_dates).
#pragma once

#include <cstddef>
#include <cstdint>

// Hands the whole input to every reader of durations, time stamps, dates, periods and
// numbers: model::parse_clock_duration (both forms), parse_utc, parse_iso_date,
// parse_period, parse_duration, and store::parse_data_period and store::parse_value
// (for each unit, decimal mark and --percent-as). Aborts when a promise breaks:
//   - a clock duration is from 0 to kMaxClockDuration, the checked form agrees with the
//     plain one and names the range when it refuses, and the longest one added to the
//     latest and earliest time stamps stays inside the clock;
//   - format_utc(parse_utc(x)) is x (but for a leap second :60, which reads as the next
//     minute), and parse_iso_date(x) prints back as x;
//   - a period is first <= last, in the years 1900..2200, of its kind's shape (a day,
//     a whole month, quarter or year), and the numbers it names are written in the text;
//     a data period agrees with parse_period wherever parse_period reads the text;
//   - a rules duration is 1 to 100 years, prints back as itself, and moves a date forward;
//   - a value is finite; a count whole and not negative; a percent within ±1000%; a
//     fraction keeps a non-zero denominator and the value is their ratio;
//   - every refusal says why (a non-empty message).
// Returns 0 otherwise, as libFuzzer expects.
int tiendo_fuzz_dates(const std::uint8_t* data, std::size_t size);
