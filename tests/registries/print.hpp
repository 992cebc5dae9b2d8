// How Boost.Test prints the registries' values in failure messages (found by argument-dependent
// lookup).
#pragma once

#include <http/close_codes.hpp>
#include <http/fields.hpp>
#include <http/h2_error_codes.hpp>
#include <http/methods.hpp>

#include <optional>
#include <ostream>

namespace http {

template <class T>
std::ostream& print_optional(std::ostream& out, const std::optional<T>& value) {
    return value ? out << *value : out << "nullopt";
}
inline std::ostream& boost_test_print_type(std::ostream& out, const std::optional<Field>& v) { return print_optional(out, v); }
inline std::ostream& boost_test_print_type(std::ostream& out, const std::optional<Method>& v) { return print_optional(out, v); }
inline std::ostream& boost_test_print_type(std::ostream& out, const std::optional<CloseCode>& v) {
    return print_optional(out, v);
}

namespace h2 {
inline std::ostream& boost_test_print_type(std::ostream& out, const std::optional<ErrorCode>& v) {
    return v ? out << *v : out << "nullopt";
}
}  // namespace h2

}  // namespace http
