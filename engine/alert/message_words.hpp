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

using model::Language;

// Every fixed word of a message, in each language a channel may speak. What is not here
// comes from present/ in the same language (states, severities, numbers, dates).
struct Words {
  std::string_view html_lang;
  std::string_view fired, changed, repeated, resolved;  // the kinds of notification
  std::string_view context;                             // a task shown for the alerts it holds back
  std::string_view task_heading;                        // "Nhiệm vụ: "
  std::string_view silenced;                            // "đang tắt thông báo"
  std::string_view since;                               // "từ "
  std::string_view began;       // a resolution's first day: "phát sinh từ "
  std::string_view range_from;  // "từ "
  std::string_view range_to;    // " đến "
  std::string_view at_most;     // "tối đa "
  std::string_view value, target, deadline, earliest_finish, projected, rate_needed, rate_observed,
      units, target_change, basis, chain, details, note, data_note, plan, owner, source;
  std::string_view rule_word, task_word;  // "quy tắc ", "nhiệm vụ "
  std::string_view held_back;  // "Cảnh báo bị giữ lại vì nhiệm vụ này ({}):"
  std::string_view nothing_new;
  std::string_view channel_word, run_word;  // the footer's
  std::string_view kind_column, severity_column, state_column, details_column;
};

const Words& words(Language language);

// A figure that can be shown: present and finite (the evaluator never makes NaN, but a
// message must not say "nan" if one ever comes).
std::optional<double> shown(const std::optional<double>& figure);

// "mới", "thay đổi", "nhắc lại", "đã khắc phục".
std::string_view kind_name(NotifyKind kind, Language language);
// What an item is, for people: its kind, or for a task shown only to carry the alerts it
// holds back, that it is their root cause.
std::string kind_text(const Notification& n, Language language);
// A severity inside a sentence ("nghiêm trọng") and as the subject's level ("NGHIÊM
// TRỌNG"); present::label's words.
std::string severity_word(model::Severity severity, Language language);
std::string level_word(model::Severity severity, Language language);
// The alert's state inside a sentence, "có nguy cơ không đạt", and its tone.
std::string state_word(const AlertFacts& a, Language language);
present::Tone state_tone(const AlertFacts& a);

std::string display_name(const AlertFacts& a);
std::string date_text(model::Date date, Language language);  // present::format_date
std::string value_text(const AlertFacts& a, double value, Language language);
// The alert's own value: value_text, with "khoảng" ("about") before it when it rests on
// an estimate.
std::string current_value_text(const AlertFacts& a, double value, Language language);
// A rate of change per month, signed: "+1,5 điểm %/tháng"; percent rules change by
// percentage points.
std::string rate_text(const AlertFacts& a, double rate, Language language);
std::string target_text(const AlertFacts& a, Language language);
std::string plan_text(const AlertFacts& a);
std::string joined(const std::vector<std::string>& parts, std::string_view separator);
std::string chain_text(const AlertFacts& a);
// The first day of the episode: for a resolution, when the problem began.
std::string since_text(const Notification& n, Language language);

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

Parts parts_of(const Notification& n, Language language);

// "01/9/2022: 2 cảnh báo mới, 1 đã khắc phục", in the digest's language.
std::string summary_line(const Digest& d);
// The most severe level among what fires (held-back alerts included); resolutions do
// not raise the alarm.
model::Severity firing_level(const std::vector<Notification>& items);
std::string footer(const Digest& d);

}  // namespace tiendo::alert::detail
