// Shared by the fuzz targets: a check that stops the run (a finding) and input splitting.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string_view>

#define FUZZ_CHECK(condition)                                                              \
    do {                                                                                   \
        if (!(condition)) {                                                                \
            std::fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", #condition, __FILE__, __LINE__); \
            __builtin_trap();                                                              \
        }                                                                                  \
    } while (0)

namespace fuzz {

/// The input as bytes, and a split point taken from its first byte (so the fuzzer explores
/// both the bytes and where they are cut).
struct Input {
    std::string_view bytes;
    std::size_t split = 0;
};

inline Input split_input(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return {};
    const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
    return {bytes, bytes.empty() ? 0 : data[0] % (bytes.size() + 1)};
}

}  // namespace fuzz
