// std::chrono's clocks, durations and time points, for the public headers' declarations: with
// libstdc++, from the part of <chrono> that defines them. In C++20 mode libstdc++'s <chrono> also
// brings the calendar, the time zones and their formatting, and with them <sstream>; no public
// header uses those. Other standard libraries get <chrono>. A file that uses more of <chrono>
// (std::chrono::year_month_day, operator<< of a duration ...) includes it itself.
#pragma once

#include <version>  // __GLIBCXX__, when the library is libstdc++

#if defined(__GLIBCXX__) && __has_include(<bits/chrono.h>)
#include <bits/chrono.h>
#else
#include <chrono>
#endif
