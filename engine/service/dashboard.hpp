// The dashboard at `/`: one self-contained HTML page in Vietnamese or English (inline
// CSS, no script or font from elsewhere), rendered on the server.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "alert/alert.hpp"
#include "eval/evaluate.hpp"
#include "model/rule_set.hpp"
#include "present/labels.hpp"
#include "store/runs.hpp"
#include "store/snapshot.hpp"

namespace tiendo::service {

// The firing alerts the page lists at most.
constexpr std::size_t kDashboardAlerts = 500;

// Which targets the table shows, and how (the page's query: ?state=&severity=&owner=&
// plan=&level=&unit=&sort=&page=). Every filter of a result must hold; `owner` and `plan`
// are the rule's, `level` and `unit` the result's unit (`unit`: it or a unit inside it).
struct TargetFilter {
  std::optional<eval::RuleState> state;
  std::optional<model::Severity> severity;
  std::string owner;
  std::string plan;   // a plan's name: rules with it in their basis
  std::string level;  // a level's name
  std::string unit;   // a unit's id
  enum class Sort { worst, name, deadline };
  Sort sort = Sort::worst;
  std::size_t page = 1;  // of kTargetsPerPage rules
};
// Rules per page of the targets table: a `for each` rule is one row, its units inside.
constexpr std::size_t kTargetsPerPage = 25;
// The units a `for each` rule's row lists when opened (the rule's page lists them all).
constexpr std::size_t kUnitsPerRow = 50;

// What changed since an earlier run: the run compared with is the one before the latest,
// or the latest at or before `since`.
struct ChangesView {
  std::shared_ptr<const store::RunChanges> changes;  // none: no earlier run (or an error)
  std::string since;                                 // ?since=, empty for the previous run
  std::string error;                                 // why the changes could not be read
  bool pending = false;                              // being read (after a run): the page says so
};

// What the dashboard counts of an evaluation's results, made once with the evaluation
// rather than by every request (a national rule set has a million results, and a pass
// over them was most of a dashboard's time): the results in each state, and for each
// rule and state how many of its results are in it and the first, in unit order, of the
// most severe of them (the row the table shows for the rule).
struct ResultTally {
  std::array<std::size_t, present::kRuleStateCount> rule_states{};
  std::array<std::size_t, present::kTaskStateCount> task_states{};
  struct Cell {
    std::size_t count = 0;
    const eval::RuleResult* worst = nullptr;  // into the results tallied
  };
  std::vector<std::array<Cell, present::kRuleStateCount>> rules;  // [rule][state]
};
ResultTally tally_results(const model::RuleSet& rules, const eval::Results& results);

struct DashboardData {
  const model::RuleSet* rules = nullptr;
  const store::Snapshot* snapshot = nullptr;  // the snapshot the results were evaluated on
  const eval::Results* results = nullptr;     // null: no evaluation yet
  // tally_results of `results`, when made: the page then counts without a pass over them
  // unless a filter other than state, owner and plan is asked. Null: counted here.
  const ResultTally* tally = nullptr;
  // The firing alerts, most severe first as alert::list_alerts gives them, at most
  // kDashboardAlerts of them; `alerts_total` counts them all.
  std::vector<alert::AlertRecord> alerts;
  std::size_t alerts_total = 0;
  std::string generated_at;              // UTC time stamp
  std::optional<std::string> graph_svg;  // from render_svg; none: a nested list instead
  // Every word of the page, and its numbers and dates, in this language (`?lang=`).
  model::Language language = model::Language::vi;
  // The page's query parameters other than `lang`, decoded, in order: the link to the
  // other language keeps them.
  std::vector<std::pair<std::string, std::string>> query;
  TargetFilter filter;
  ChangesView changes;
};

// A complete HTML5 page (lang="vi" or "en" as `language`, UTF-8, CSS in one <style>, no
// script and nothing loaded from elsewhere): a link to the same page in the other
// language (`?lang=en`, `?lang=vi`, after `query`; the language's own name, "English",
// "Tiếng Việt"), a summary of states, the targets (one row per rule result,
// worst first, with a progress bar), the firing alerts (most severe first), the tasks by
// due date, and the plan graph (`graph_svg` inlined when it is an <svg> element, else a
// nested list of plans and tasks). Without results the targets and tasks say that there
// has been no evaluation yet. Each table shows at most 500 rows and says how many it
// left out, so that a rule set of 10 000 rules × 1 000 units still gives a page a
// browser opens. Every text from the rules, the data and the alerts is HTML-escaped.
// `rules` and `snapshot` may be null. Thread-safe; never throws.
std::string render_dashboard(const DashboardData& data);

}  // namespace tiendo::service
