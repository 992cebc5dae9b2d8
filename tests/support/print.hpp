// How Boost.Test prints httpkit values in failure messages (found by argument-dependent lookup).
#pragma once

#include <http/status.hpp>

#include <optional>
#include <ostream>

namespace http {

inline std::ostream& boost_test_print_type(std::ostream& out, const std::optional<Status>& status) {
    return status ? out << *status : out << "nullopt";
}

}  // namespace http
