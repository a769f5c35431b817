// A span of days named by what it is, for writing a stored period as documents write it
// (a store keeps a period as its first and last day). Defined in calendar.cpp.
#pragma once

#include "model/calendar.hpp"

namespace tiendo::model {

// The period [first, last] is: a month, a quarter or a year when it is exactly one of
// them (1/7/2022–30/9/2022 is Q3/2022), else a span of days.
Period period_of_days(Date first, Date last);

}  // namespace tiendo::model
