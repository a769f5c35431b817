// Transitional: the old name of what is now eval/figures.hpp (the evaluator's figures) and
// present/results.hpp (results as tables and JSON for people). evaluate.cpp and
// service/api.cpp, which other changes are restructuring, still include it and call
// eval::Filter and eval::to_json; once they include the new headers and name present::,
// delete this file. Nothing else may include it: it is the one place eval/ reaches up.
#pragma once

#include "eval/figures.hpp"
#include "present/results.hpp"

namespace tiendo::eval {

using present::Filter;
using present::to_json;

}  // namespace tiendo::eval
