// What changed between two evaluations, as the committee reads it first: "2 chỉ tiêu chuyển
// sang có nguy cơ không đạt; 1 nhiệm vụ mới quá hạn; 3 cảnh báo đã hết". The dashboard and
// the report say it the same way.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "model/rule_set.hpp"
#include "store/runs.hpp"

namespace tiendo::present {

// The parts of the sentence, in the order the states are ranked (the worst first), then
// the alerts: "2 chỉ tiêu chuyển sang có nguy cơ không đạt", "1 nhiệm vụ mới quá hạn",
// "2 cảnh báo mới", "3 cảnh báo đã hết". A change into no state (a result no longer
// evaluated) is not counted here. Empty when nothing changed.
std::vector<std::string> change_parts(std::span<const store::StateChange> changes,
                                      std::int64_t alerts_fired, std::int64_t alerts_resolved,
                                      model::Language language);
// The parts joined: "…; …." — or "Không có thay đổi nào." / "Nothing changed.".
std::string change_sentence(std::span<const store::StateChange> changes, std::int64_t alerts_fired,
                            std::int64_t alerts_resolved, model::Language language);
// How bad the state a change went to is (present::rank of it; after every state when it
// names none): to list the worst changes first.
int change_rank(const store::StateChange& change);

}  // namespace tiendo::present
