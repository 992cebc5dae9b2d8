// std::function, for the public headers' declarations: with libstdc++, from the part of
// <functional> that defines it. In C++20 mode libstdc++'s <functional> also brings the searchers
// and with them <unordered_map>, <array> and the algorithms, a tenth of the compile time of a file
// that includes <http/http.hpp>, which names std::function and nothing else of it. Other
// standard libraries get <functional>. A file that uses more of <functional> (std::bind,
// std::ref, std::hash ...) includes it itself.
#pragma once

#include <version>  // __GLIBCXX__, when the library is libstdc++

#if defined(__GLIBCXX__) && __has_include(<bits/std_function.h>)
#include <bits/std_function.h>
#else
#include <functional>
#endif
