// The report's grouping and numbering (model/report_labels.hpp): warnings where the
// committee report would lay a rule out otherwise than its `label group` and `label stt`
// seem to mean. Each names the rule and says what the report will do.
#include "model/report_labels.hpp"

#include <fmt/format.h>

#include <map>
#include <utility>

#include "dsl/check/context.hpp"
#include "util/text.hpp"

namespace tiendo::dsl::checking {

namespace {

// A rule's labels as written: the two the report reads (the first of each name; a second
// is E013) and the others.
struct RuleLabels {
  const ast::Block* rule = nullptr;
  const ast::Label* group = nullptr;
  const ast::Label* stt = nullptr;
  std::vector<const ast::Label*> others;
};

RuleLabels read_labels(const ast::Block& block) {
  RuleLabels out;
  out.rule = &block;
  for (const ast::Clause& clause : block.clauses) {
    const auto* label = boost::get<ast::Label>(&clause.value.get());
    if (!label) continue;
    if (label->key.text == model::kGroupLabel) {
      if (!out.group) out.group = label;
    } else if (label->key.text == model::kRowNumberLabel) {
      if (!out.stt) out.stt = label;
    } else {
      out.others.push_back(label);
    }
  }
  return out;
}

bool has_group(const RuleLabels& labels) {
  return labels.group && !labels.group->value.value.empty();
}

// The group the report lists the rule under.
std::string group_of(const RuleLabels& labels) {
  return has_group(labels) ? labels.group->value.value : std::string(model::kOtherGroup);
}

// W105: a `label stt` the report cannot order as a number.
void check_row_number(Context& c, const RuleLabels& labels) {
  const ast::StringLit& value = labels.stt->value;
  const std::string& rule = labels.rule->name.text;
  if (value.value.empty()) {
    c.diagnostics.warning(Code::invalid_row_number, Context::at(value),
                          fmt::format("rule '{}': label stt is empty; the report numbers the "
                                      "rule as if it had none, on from the last number of "
                                      "its group",
                                      rule));
    return;
  }
  c.diagnostics.warning(
      Code::invalid_row_number, Context::at(value),
      fmt::format("rule '{0}': label stt = {1} is not a row number (a positive whole number, "
                  "or dotted like \"2.1\"); the report lists the rule after the numbered rows "
                  "of its group, numbered {1} as written",
                  rule, c.source_text(value)));
}

// W108: a label whose name is one letter off the report's (`label grop`, `label STT`).
void check_label_names(Context& c, const RuleLabels& labels) {
  static const std::vector<std::string> kReportLabels = {std::string(model::kGroupLabel),
                                                         std::string(model::kRowNumberLabel)};
  for (const ast::Label* label : labels.others) {
    const auto meant = util::closest_match(label->key.text, kReportLabels);
    if (!meant) continue;
    const bool group = *meant == model::kGroupLabel;
    if (group ? labels.group != nullptr : labels.stt != nullptr) continue;
    c.diagnostics.warning(
        Code::misspelt_label, Context::at(label->key),
        fmt::format("rule '{}': the report does not read `label {}`; did you mean `label {}`, "
                    "which {}?",
                    labels.rule->name.text, label->key.text, *meant,
                    group ? "places the rule in a group of the report's table"
                          : "numbers the rule's row in its group"));
  }
}

}  // namespace

void check_report_labels(Context& c) {
  std::vector<RuleLabels> rules;
  bool grouped = false;
  for (const auto& [block, index] : c.blocks) {
    if (block->kind != "rule") continue;
    rules.push_back(read_labels(*block));
    grouped = grouped || has_group(rules.back());
  }
  // Each group's row numbers, with the label that took each first.
  std::map<std::pair<std::string, model::RowNumber>, const RuleLabels*> numbered;
  for (const RuleLabels& labels : rules) {
    const std::string& rule = labels.rule->name.text;
    check_label_names(c, labels);
    // W107: without groups the report has one, "Khác"; with them, a rule without one
    // lands in it, after them all.
    if (grouped && !has_group(labels)) {
      const Location at =
          labels.group ? Context::at(labels.group->value) : Context::at(labels.rule->name);
      c.diagnostics.warning(
          Code::missing_group, at,
          fmt::format(
              "rule '{}' has {}; the report lists it under '{}', after every group "
              "(label group = \"…\" places it)",
              rule,
              labels.group ? "an empty `label group`" : "no `label group`, which other rules have",
              model::kOtherGroup));
    }
    if (!labels.stt) continue;
    const auto number = model::parse_row_number(labels.stt->value.value);
    if (!number) {
      check_row_number(c, labels);
      continue;
    }
    const std::string group = group_of(labels);
    const auto [it, inserted] = numbered.try_emplace({group, *number}, &labels);
    if (inserted) continue;
    // W106: two rows with one number.
    const RuleLabels& first = *it->second;
    const model::SourceRef where = c.source_ref(first.stt->value);
    Diagnostic& d = c.diagnostics.warning(
        Code::duplicate_row_number, Context::at(labels.stt->value),
        fmt::format("rule '{}' has the row number {} of rule '{}' ({}:{}) in group '{}'; the "
                    "report numbers both rows {}",
                    rule, labels.stt->value.value, first.rule->name.text, where.file, where.line,
                    group, labels.stt->value.value));
    Context::note(d, Context::at(first.stt->value),
                  fmt::format("rule '{}' is numbered {} here", first.rule->name.text,
                              first.stt->value.value));
  }
}

}  // namespace tiendo::dsl::checking
