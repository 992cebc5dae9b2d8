// Cookie headers in, Set-Cookie lines out: never a CR, LF or NUL in what goes out.
#include "fuzz.hpp"

#include "proto/cookies/cookies.hpp"

#include <http/cookie.hpp>

#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    http::Fields cookies;
    http::detail::parse_cookie_header(text, cookies);
    for (const auto& [name, value] : cookies)
        FUZZ_CHECK(!name.empty() && name.find(';') == std::string::npos);

    // The same bytes as the attributes of a cookie to send, split on NUL.
    std::string_view parts[6];
    std::string_view rest = text;
    for (auto& part : parts) {
        const std::size_t nul = rest.find('\0');
        part = rest.substr(0, nul);
        rest = nul == std::string_view::npos ? std::string_view() : rest.substr(nul + 1);
    }
    http::Cookie cookie{.name = std::string(parts[0]), .value = std::string(parts[1]), .domain = std::string(parts[2]),
                        .path = std::string(parts[3]), .same_site = std::string(parts[4]), .extras = std::string(parts[5])};
    try {
        const std::string line = cookie.to_set_cookie();
        FUZZ_CHECK(line.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos);
    } catch (const std::invalid_argument&) {
    }
    return 0;
}
