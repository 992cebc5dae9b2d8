// req.param<T>(): a path parameter as a number (<http/request.hpp> declares these).
#include <http/failure.hpp>
#include <http/request.hpp>

#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace http::detail {

const std::string& param_text(const Fields& params, std::string_view name) {
    const auto it = params.find(name);
    if (it == params.end())
        throw NotFound("the path parameter '" + std::string(name) + "' is missing");
    return it->second;
}

namespace {

template <class T>
void parse_number(std::string_view name, const std::string& text, T& value) {
    std::from_chars_result result{};
    if constexpr (std::is_integral_v<T>)
        result = std::from_chars(text.data(), text.data() + text.size(), value);
    else
        result = std::from_chars(text.data(), text.data() + text.size(), value, std::chars_format::general);
    const char* kind = std::is_integral_v<T> ? (std::is_signed_v<T> ? "an integer" : "a non-negative integer")
                                             : "a number";
    if (result.ec == std::errc::result_out_of_range)
        throw NotFound("the path parameter '" + std::string(name) + "' is out of range");
    if (result.ec != std::errc{} || result.ptr != text.data() + text.size() || text.empty())
        throw NotFound("the path parameter '" + std::string(name) + "' is not " + kind);
    if constexpr (std::is_floating_point_v<T>)
        if (!std::isfinite(value))
            throw NotFound("the path parameter '" + std::string(name) + "' is not " + kind);
}

}  // namespace

void parse_param(std::string_view name, const std::string& text, char& value) { parse_number(name, text, value); }
void parse_param(std::string_view name, const std::string& text, signed char& value) { parse_number(name, text, value); }
void parse_param(std::string_view name, const std::string& text, unsigned char& value) { parse_number(name, text, value); }
void parse_param(std::string_view name, const std::string& text, short& value) { parse_number(name, text, value); }
void parse_param(std::string_view name, const std::string& text, unsigned short& value) { parse_number(name, text, value); }
void parse_param(std::string_view name, const std::string& text, int& value) { parse_number(name, text, value); }
void parse_param(std::string_view name, const std::string& text, unsigned& value) { parse_number(name, text, value); }
void parse_param(std::string_view name, const std::string& text, long& value) { parse_number(name, text, value); }
void parse_param(std::string_view name, const std::string& text, unsigned long& value) { parse_number(name, text, value); }
void parse_param(std::string_view name, const std::string& text, long long& value) { parse_number(name, text, value); }
void parse_param(std::string_view name, const std::string& text, unsigned long long& value) { parse_number(name, text, value); }
void parse_param(std::string_view name, const std::string& text, float& value) { parse_number(name, text, value); }
void parse_param(std::string_view name, const std::string& text, double& value) { parse_number(name, text, value); }
void parse_param(std::string_view name, const std::string& text, long double& value) { parse_number(name, text, value); }

}  // namespace http::detail
