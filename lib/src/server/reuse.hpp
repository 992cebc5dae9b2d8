// Reusing the storage a connection's previous request left: most of a request's strings are what
// they were the last time on the same connection (method, version, client address, scheme, often
// the target, the host and the fields), and comparing costs less than assigning.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace http::detail {

/// Whether the n bytes at a and b are the same. Up to 16 bytes in registers, with two loads from
/// each that may overlap: most of a request's strings are that short, and a call to memcmp costs
/// more than comparing them.
[[gnu::always_inline]] inline bool same_bytes(const char* a, const char* b, std::size_t n) noexcept {
    auto load = [](const char* p, auto word) {
        std::memcpy(&word, p, sizeof word);
        return word;
    };
    if (n >= 8 && n <= 16)
        return load(a, std::uint64_t{}) == load(b, std::uint64_t{}) &&
               load(a + n - 8, std::uint64_t{}) == load(b + n - 8, std::uint64_t{});
    if (n >= 4 && n < 8)
        return load(a, std::uint32_t{}) == load(b, std::uint32_t{}) &&
               load(a + n - 4, std::uint32_t{}) == load(b + n - 4, std::uint32_t{});
    if (n < 4) {
        for (std::size_t i = 0; i < n; ++i)
            if (a[i] != b[i])
                return false;
        return true;
    }
    return std::memcmp(a, b, n) == 0;
}

/// `to = value`, unless it is that already. Inline in each caller, the comparison folded for a
/// constant `value`: out of line, the call cost more than the comparison.
[[gnu::always_inline]] inline void assign(std::string& to, std::string_view value) {
    if (to.size() != value.size() || !same_bytes(to.data(), value.data(), value.size()))
        to.assign(value);
}

}  // namespace http::detail
