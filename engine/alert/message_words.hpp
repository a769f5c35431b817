// What a notification says, in words and figures, whatever the channel: the parts the
// e-mail lays out (message_email.cpp) and the figures the webhook bodies annotate
// (message_webhook.cpp). Internal to alert/.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alert/alert.hpp"
#include "present/labels.hpp"

namespace tiendo::alert::detail {

constexpr std::string_view kBrand = "tiendo";

// A figure that can be shown: present and finite (the evaluator never makes NaN, but a
// message must not say "nan" if one ever comes).
std::optional<double> shown(const std::optional<double>& figure);

// "mới", "thay đổi", "nhắc lại", "đã khắc phục".
std::string_view kind_name(NotifyKind kind);
// What an item is, for people: its kind, or for a task shown only to carry the alerts it
// holds back, that it is their root cause.
std::string kind_text(const Notification& n);
// A severity inside a sentence ("nghiêm trọng") and as the subject's level ("NGHIÊM
// TRỌNG"); present::label's words.
std::string severity_word(model::Severity severity);
std::string level_word(model::Severity severity);
// The alert's state inside a sentence, "có nguy cơ không đạt", and its tone.
std::string state_word(const AlertFacts& a);
present::Tone state_tone(const AlertFacts& a);

std::string display_name(const AlertFacts& a);
std::string date_text(model::Date date);  // present::format_date
std::string value_text(const AlertFacts& a, double value);
// The alert's own value: value_text, with "khoảng" before it when it rests on an estimate.
std::string current_value_text(const AlertFacts& a, double value);
// A rate of change per month, signed: "+1,5 điểm %/tháng"; percent rules change by
// percentage points.
std::string rate_text(const AlertFacts& a, double rate);
std::string target_text(const AlertFacts& a);
std::string plan_text(const AlertFacts& a);
std::string joined(const std::vector<std::string>& parts, std::string_view separator);
std::string chain_text(const AlertFacts& a);
// The first day of the episode: for a resolution, when the problem began.
std::string since_text(const Notification& n);

// What one notification says, shared by the text and the HTML.

struct Entry {
  std::string label;  // lower case: "giá trị"
  std::string text;
};

struct Parts {
  std::string heading;  // "Tỷ lệ hồ sơ trực tuyến – Đồng Nai"
  std::vector<std::string> status;  // "mới", "nghiêm trọng", "có nguy cơ không đạt", "từ 01/9/2022"
  std::string message;         // may span lines
  std::vector<Entry> figures;  // one line
  std::vector<Entry> rates;    // one line
  std::vector<Entry> context;  // a line each
};

Parts parts_of(const Notification& n);

// "01/9/2022: 2 cảnh báo mới, 1 đã khắc phục".
std::string summary_line(const Digest& d);
// The most severe level among what fires (held-back alerts included); resolutions do
// not raise the alarm.
model::Severity firing_level(const std::vector<Notification>& items);
std::string footer(const Digest& d);

}  // namespace tiendo::alert::detail
