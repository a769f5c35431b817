// The dashboard's plan graph: Graphviz's drawing inlined when there is one, else the plans
// and tasks as a nested list with their states.
#include <fmt/format.h>

#include <string>
#include <string_view>
#include <vector>

#include "present/format.hpp"
#include "present/labels.hpp"
#include "present/markup.hpp"
#include "service/dashboard_parts.hpp"

namespace tiendo::service::detail {

namespace {

using model::Index;
using present::format_date;
using present::html_escape;

// Items of the plan list (plans and tasks) before it stops.
constexpr std::size_t kMaxListItems = 2000;

class PlanSection {
 public:
  PlanSection(const DashboardData& data, const model::RuleSet* rules, const eval::Results* results,
              std::string& out)
      : data_(data),
        rules_(rules),
        results_(results),
        out_(out),
        lang_(data.language),
        w_(words(data.language)) {}

  void render() {
    out_ += fmt::format("<section id=\"so-do\">\n<h2>{}</h2>\n", html_escape(w_.plans));
    if (data_.graph_svg && data_.graph_svg->rfind("<svg", 0) == 0) {
      // A region the keyboard can reach and scroll: the drawing can be wider than the page.
      out_ +=
          fmt::format("<div class=\"graph\" tabindex=\"0\" role=\"region\" aria-label=\"{}\">\n",
                      html_escape(w_.plans)) +
          inline_svg(*data_.graph_svg) + "\n</div>\n";
      out_ += "<ul class=\"legend\">";
      for (std::string_view item : {w_.legend_plan, w_.legend_task, w_.legend_implements,
                                    w_.legend_part_of, w_.legend_after}) {
        out_ += "<li>" + html_escape(item) + "</li>";
      }
      out_ += "</ul>\n";
    } else if (!rules_) {
      out_ += fmt::format("<p class=\"empty\">{}</p>\n", html_escape(w_.no_rules));
    } else {
      if (results_) {
        plan_results_.assign(rules_->plans.size(), nullptr);
        for (const eval::PlanResult& p : results_->plans) {
          if (at(rules_->plans, p.plan)) plan_results_[static_cast<std::size_t>(p.plan)] = &p;
        }
        task_results_.assign(rules_->tasks.size(), nullptr);
        for (const eval::TaskResult& t : results_->tasks) {
          if (at(rules_->tasks, t.task)) task_results_[static_cast<std::size_t>(t.task)] = &t;
        }
      }
      plan_list();
    }
    out_ += "</section>\n";
  }

 private:
  // dot's <svg> without its namespace declarations: the HTML parser puts inline SVG in
  // its namespace by itself, and the page then names no outside address at all.
  static std::string inline_svg(std::string_view svg) {
    const std::size_t tag_end = svg.find('>');
    std::string tag(svg.substr(0, tag_end));
    for (std::string_view attribute : {" xmlns=\"", " xmlns:xlink=\""}) {
      const std::size_t start = tag.find(attribute);
      if (start == std::string::npos) continue;
      const std::size_t end = tag.find('"', start + attribute.size());
      if (end == std::string::npos) continue;
      tag.erase(start, end + 1 - start);
    }
    return tag + std::string(svg.substr(tag_end));
  }

  std::string plan_state_badge(Index plan) const {
    const eval::PlanResult* result =
        plan >= 0 && static_cast<std::size_t>(plan) < plan_results_.size()
            ? plan_results_[static_cast<std::size_t>(plan)]
            : nullptr;
    return result && result->state ? " " + badge(*result->state, lang_) : std::string();
  }

  std::string task_state_badge(Index task) const {
    const eval::TaskResult* result =
        task >= 0 && static_cast<std::size_t>(task) < task_results_.size()
            ? task_results_[static_cast<std::size_t>(task)]
            : nullptr;
    return result ? " " + badge(result->state, lang_) : std::string();
  }

  std::string plan_item(Index plan) const {
    const model::Plan& p = *at(rules_->plans, plan);
    std::string text = "<span class=\"kind\">" + html_escape(w_.plan_kind) + "</span> <b>" +
                       html_escape(plan_label(plan)) + "</b>";
    if (!p.title.empty()) text += " " + html_escape(p.title);
    return text + plan_state_badge(plan);
  }

  std::string task_item(Index task) const {
    const model::Task& t = *at(rules_->tasks, task);
    std::string text = "<span class=\"kind\">" + html_escape(w_.task_kind) + "</span> " +
                       html_escape(task_title(task));
    if (t.due) {
      text += " <span class=\"muted\">" +
              html_escape(fmt::format(fmt::runtime(w_.due), format_date(*t.due, lang_))) +
              "</span>";
    }
    return text + task_state_badge(task);
  }

  // Plans from the ones that implement no other, each followed by the plans implementing
  // it and its tasks. A plan implementing several plans is drawn in full under the first
  // and named under the others, so the list stays as long as the graph. Built with an
  // explicit stack: a chain of thousands of plans must not exhaust the call stack.
  void plan_list() {
    const std::size_t plan_count = rules_->plans.size();
    std::vector<std::vector<Index>> child_plans(plan_count);
    std::vector<std::vector<Index>> plan_tasks(plan_count);
    std::vector<Index> roots;
    for (std::size_t i = 0; i < plan_count; ++i) {
      bool has_parent = false;
      for (Index parent : rules_->plans[i].implements) {
        if (!at(rules_->plans, parent)) continue;
        child_plans[static_cast<std::size_t>(parent)].push_back(static_cast<Index>(i));
        has_parent = true;
      }
      if (!has_parent) roots.push_back(static_cast<Index>(i));
    }
    std::vector<Index> loose_tasks;
    for (std::size_t i = 0; i < rules_->tasks.size(); ++i) {
      const Index plan = rules_->tasks[i].part_of;
      if (at(rules_->plans, plan)) {
        plan_tasks[static_cast<std::size_t>(plan)].push_back(static_cast<Index>(i));
      } else {
        loose_tasks.push_back(static_cast<Index>(i));
      }
    }
    if (roots.empty() && loose_tasks.empty()) {
      out_ += fmt::format("<p class=\"empty\">{}</p>\n", html_escape(w_.no_plans));
      return;
    }

    std::size_t items = 0;
    bool stopped = false;
    std::vector<bool> listed(plan_count, false);
    struct Frame {
      Index plan;
      std::size_t next_plan = 0;
      std::size_t next_task = 0;
    };
    std::vector<Frame> stack;
    // Opens the plan's item; true when its children follow.
    const auto open_plan = [&](Index plan) {
      ++items;
      out_ += "<li>" + plan_item(plan);
      const auto index = static_cast<std::size_t>(plan);
      if (listed[index]) {
        out_ += " <span class=\"muted\">" + html_escape(w_.listed_above) + "</span></li>\n";
        return false;
      }
      listed[index] = true;
      if (child_plans[index].empty() && plan_tasks[index].empty()) {
        out_ += "</li>\n";
        return false;
      }
      out_ += "\n<ul>\n";
      return true;
    };

    out_ += "<ul class=\"plans\">\n";
    for (Index root : roots) {
      if (items >= kMaxListItems) {
        stopped = true;
        break;
      }
      if (open_plan(root)) stack.push_back({root});
      while (!stack.empty()) {
        Frame& top = stack.back();
        const auto index = static_cast<std::size_t>(top.plan);
        if (items >= kMaxListItems) {
          stopped = true;
          out_ += "</ul></li>\n";
          stack.pop_back();
        } else if (top.next_plan < child_plans[index].size()) {
          const Index child = child_plans[index][top.next_plan++];
          if (open_plan(child)) stack.push_back({child});
        } else if (top.next_task < plan_tasks[index].size()) {
          ++items;
          out_ += "<li>" + task_item(plan_tasks[index][top.next_task++]) + "</li>\n";
        } else {
          out_ += "</ul></li>\n";
          stack.pop_back();
        }
      }
    }
    if (!loose_tasks.empty() && !stopped) {
      out_ += fmt::format("<li><span class=\"kind\">{}</span> <b>{}</b>\n<ul>\n",
                          html_escape(w_.other_kind), html_escape(w_.loose_tasks));
      for (Index task : loose_tasks) {
        if (items >= kMaxListItems) {
          stopped = true;
          break;
        }
        ++items;
        out_ += "<li>" + task_item(task) + "</li>\n";
      }
      out_ += "</ul></li>\n";
    }
    out_ += "</ul>\n";
    if (stopped) {
      out_ += "<p class=\"note\">" +
              html_escape(fmt::format(fmt::runtime(w_.list_stopped), count_text(items, lang_),
                                      count_text(plan_count + rules_->tasks.size(), lang_))) +
              "</p>\n";
    }
  }

  std::string task_title(Index task) const { return detail::task_title(*rules_, task); }
  std::string plan_label(Index plan) const { return detail::plan_label(*rules_, plan); }

  const DashboardData& data_;
  const model::RuleSet* rules_;
  const eval::Results* results_;
  std::string& out_;
  const Language lang_;
  const Words& w_;
  std::vector<const eval::PlanResult*> plan_results_;
  std::vector<const eval::TaskResult*> task_results_;
};

}  // namespace

std::string badge(eval::RuleState state, Language language) {
  return present::html_badge(present::label(state, language), present::tone(state));
}

std::string badge(eval::TaskState state, Language language) {
  return present::html_badge(present::label(state, language), present::tone(state));
}

std::string count_text(std::size_t count, Language language) {
  return present::format_number(static_cast<double>(count), language);
}

std::string task_title(const model::RuleSet& rules, model::Index task) {
  const model::Task* t = at(rules.tasks, task);
  if (!t) return {};
  return t->title.empty() ? t->name : t->title;
}

std::string plan_label(const model::RuleSet& rules, model::Index plan) {
  const model::Plan* p = at(rules.plans, plan);
  if (!p) return {};
  return p->code.empty() ? p->name : p->code;
}

void plan_graph_section(const DashboardData& data, const model::RuleSet* rules,
                        const eval::Results* results, std::string& out) {
  PlanSection(data, rules, results, out).render();
}

}  // namespace tiendo::service::detail
