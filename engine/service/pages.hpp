// The dashboard's pages below `/`: one per target (/rules/{rule}, ?unit=) and one per unit
// (/units/{id}). Rendered on the server like the dashboard, in the same style and
// language, with relative links among them.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "alert/alert.hpp"
#include "eval/evaluate.hpp"
#include "model/rule_set.hpp"
#include "store/runs.hpp"
#include "store/snapshot.hpp"

namespace tiendo::service {

// Units a target's page lists per page, when it is opened without one; and targets a
// unit's page lists per page.
constexpr std::size_t kUnitsPerPage = 100;

struct PageBasics {
  const model::RuleSet* rules = nullptr;
  const store::Snapshot* snapshot = nullptr;  // the served evaluation's (units, notes)
  const eval::Results* results = nullptr;     // null: no evaluation yet
  model::Language language = model::Language::vi;
  std::vector<std::pair<std::string, std::string>> query;  // decoded, `lang` left out
  std::string generated_at;
};

struct RulePageData {
  PageBasics basics;
  model::Index rule = model::kNone;
  store::UnitIndex unit = -1;  // ?unit=: the result shown in full; -1: the rule's units listed
  std::size_t page = 1;        // of the units listed
  // The chosen result's course (chart), on the data as stored when the page was made.
  std::optional<eval::TargetCourse> course;
  std::vector<store::ResultSpan> timeline;  // the chosen result's states over the runs
  std::string timeline_error;
  std::vector<alert::AlertRecord> alerts;  // the rule's (at the unit), most severe first
  std::size_t alerts_total = 0;
  std::vector<alert::Silence> silences;  // live ones that match its alerts' labels
  std::string now;                       // UTC, for the silences' status
};
// Its chart (with at least two observations), explanation, basis and target history,
// states over past runs as a timeline, alerts and silences; without a unit, for a `for
// each` rule, its units a page at a time. Never throws.
std::string render_rule_page(const RulePageData& data);

struct UnitPageData {
  PageBasics basics;
  store::UnitIndex unit = -1;
  std::size_t page = 1;                    // of its targets, kUnitsPerPage a page
  std::vector<alert::AlertRecord> alerts;  // firing at the unit
  std::size_t alerts_total = 0;
};
// The unit's ancestors (links up), its targets, the tasks its owner leads, its children
// with their targets met (links down). Never throws.
std::string render_unit_page(const UnitPageData& data);

struct EditorPageData {
  model::Language language = model::Language::vi;
  std::vector<std::pair<std::string, std::string>> query;  // decoded, `lang` left out
  std::string today;           // ISO date in the service's time zone: the preview's default
  std::string script_version;  // service/rule_editor_bundle.hpp
  std::string generated_at;
};
// The rule editor ("Quy tắc", /editor): the frame every page has, and the place the
// editor's script (web/editor) builds its parts in, with the language's reserved words for
// its colours. Nothing of the rule set is in the page: the script asks the API for it
// with the staff member's token. Never throws.
std::string render_editor_page(const EditorPageData& data);

}  // namespace tiendo::service
