// Fast scans over header bytes: find the first byte that ends a run of allowed characters.
// SSE2 (in every x86-64 CPU) tests 16 bytes at a time; elsewhere a table lookup per byte.
#pragma once

#include "proto/parser/char_class.hpp"

#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace http::detail {

/// The first byte in [p, end) that is not request-target material (0x21-0x7E), or end.
inline const char* scan_target(const char* p, const char* end) noexcept {
#if defined(__SSE2__)
    const __m128i above_space = _mm_set1_epi8(0x21);
    const __m128i del = _mm_set1_epi8(0x7f);
    while (end - p >= 16) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        // Signed compare: bytes >= 0x80 are negative, so "x < 0x21" also catches them.
        const __m128i stop = _mm_or_si128(_mm_cmplt_epi8(x, above_space), _mm_cmpeq_epi8(x, del));
        if (const int mask = _mm_movemask_epi8(stop))
            return p + __builtin_ctz(static_cast<unsigned>(mask));
        p += 16;
    }
#endif
    while (p < end && is(*p, target_char))
        ++p;
    return p;
}

/// The first byte in [p, end) that is not a token character (RFC 9110, Section 5.6.2), or end.
inline const char* scan_token(const char* p, const char* end) noexcept { return scan_class(p, end, tchar); }

/// The first byte in [p, end) that is a control character (HTAB, CR and LF included) or DEL, or
/// end. Everything else, obs-text included, is field-value material.
inline const char* scan_field_value(const char* p, const char* end) noexcept {
#if defined(__SSE2__)
    const __m128i below_space = _mm_set1_epi8(0x1f);
    const __m128i del = _mm_set1_epi8(0x7f);
    while (end - p >= 16) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        // Unsigned "x <= 0x1f" is "min(x, 0x1f) == x".
        const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(x, below_space), x);
        const __m128i stop = _mm_or_si128(control, _mm_cmpeq_epi8(x, del));
        if (const int mask = _mm_movemask_epi8(stop))
            return p + __builtin_ctz(static_cast<unsigned>(mask));
        p += 16;
    }
#endif
    while (p < end && is(*p, field_vchar) && *p != '\t')
        ++p;
    return p;
}

/// The first byte in [p, end) that is not a letter, digit, '.' or '-' (what almost every host
/// name and IPv4 address is made of), or end. `floor` <= p marks bytes that may be read too, so
/// that a short host is checked with one 16-byte load ending at `end`. Without SSE2, the first
/// byte that is not reg-name material (which the caller must accept as well).
inline const char* scan_host_chars(const char* floor, const char* p, const char* end) noexcept {
#if defined(__SSE2__)
    // Signed compares: bytes >= 0x80 are negative, below every bound, so never host material.
    auto bad = [](const char* at) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
        const __m128i lower = _mm_or_si128(x, _mm_set1_epi8(0x20));
        const __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(lower, _mm_set1_epi8('a' - 1)),
                                             _mm_cmplt_epi8(lower, _mm_set1_epi8('z' + 1)));
        // '-', '.', '/' and the digits are 0x2d-0x39: all but '/'.
        const __m128i digit_dot = _mm_andnot_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('/')),
                                                   _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('-' - 1)),
                                                                 _mm_cmplt_epi8(x, _mm_set1_epi8('9' + 1))));
        return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(letter, digit_dot))) ^ 0xffffu;
    };
    while (end - p >= 16) {
        if (const unsigned mask = bad(p))
            return p + __builtin_ctz(mask);
        p += 16;
    }
    if (p == end)
        return end;
    if (end - floor >= 16) {
        const char* const at = end - 16;
        const unsigned mask = bad(at) >> (p - at);
        return mask ? p + __builtin_ctz(mask) : end;
    }
#else
    (void)floor;
#endif
    return scan_class(p, end, reg_name_char);
}

#if defined(__SSE2__)
/// Of 16 bytes at `at`, one bit each (bit i for byte i): which are not a letter, digit, '.' or
/// '-' (`other`), which are ':', which are not a digit.
struct HostMasks {
    std::uint64_t other;
    std::uint64_t colon;
    std::uint64_t not_digit;
};

inline HostMasks host_masks(const char* at) noexcept {
    // Signed compares: bytes >= 0x80 are negative, below every bound, so never host material.
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
    const __m128i lower = _mm_or_si128(x, _mm_set1_epi8(0x20));
    const __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(lower, _mm_set1_epi8('a' - 1)),
                                         _mm_cmplt_epi8(lower, _mm_set1_epi8('z' + 1)));
    const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('0' - 1)), _mm_cmplt_epi8(x, _mm_set1_epi8('9' + 1)));
    const __m128i dash_dot = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('-')), _mm_cmpeq_epi8(x, _mm_set1_epi8('.')));
    const auto bits = [](__m128i v) { return static_cast<std::uint64_t>(_mm_movemask_epi8(v)); };
    return {bits(_mm_or_si128(_mm_or_si128(letter, digit), dash_dot)) ^ 0xffffu,
            bits(_mm_cmpeq_epi8(x, _mm_set1_epi8(':'))), bits(digit) ^ 0xffffu};
}
#endif

/// True if [p, end) is valid field-value material: no control character but HTAB, no DEL.
/// `floor` <= p marks the start of the line: bytes in [floor, p) must be valid too (a field
/// name, its colon and whitespace), which lets a short value be checked with one 16-byte load
/// that overlaps them.
inline bool valid_field_value(const char* floor, const char* p, const char* end) noexcept {
#if defined(__SSE2__)
    const __m128i below_space = _mm_set1_epi8(0x1f);
    const __m128i del = _mm_set1_epi8(0x7f);
    const __m128i tab = _mm_set1_epi8('\t');
    auto bad_bytes = [&](__m128i x) {
        const __m128i control = _mm_andnot_si128(_mm_cmpeq_epi8(x, tab), _mm_cmpeq_epi8(_mm_min_epu8(x, below_space), x));
        return _mm_movemask_epi8(_mm_or_si128(control, _mm_cmpeq_epi8(x, del))) != 0;
    };
    auto bad = [&](const char* at) { return bad_bytes(_mm_loadu_si128(reinterpret_cast<const __m128i*>(at))); };
    while (end - p >= 16) {
        if (bad(p))
            return false;
        p += 16;
    }
    if (p == end)
        return true;
    if (end - floor >= 16)
        return !bad(end - 16);
    // Fewer than 16 bytes with nothing before them to load: the first and the last 8 (or 4) of
    // them, which may overlap, as one vector.
    if (const std::size_t n = static_cast<std::size_t>(end - p); n >= 4) {
        auto load = [](const char* at, auto word) {
            std::memcpy(&word, at, sizeof word);
            return word;
        };
        if (n >= 8)
            return !bad_bytes(_mm_set_epi64x(static_cast<long long>(load(end - 8, std::uint64_t{})),
                                             static_cast<long long>(load(p, std::uint64_t{}))));
        const int first = static_cast<int>(load(p, std::uint32_t{}));
        const int last = static_cast<int>(load(end - 4, std::uint32_t{}));
        return !bad_bytes(_mm_set_epi32(last, first, last, first));
    }
#else
    (void)floor;
#endif
    for (; p < end; ++p)
        if (!is(*p, field_vchar))
            return false;
    return true;
}

/// True if `value` may be sent as a field value (RFC 9110, Section 5.5): no control character but
/// HTAB, no DEL. CR and LF would start a field or a message of the sender's choosing; the other
/// controls are refused too, as every recipient is allowed to.
inline bool is_field_value(std::string_view value) noexcept {
    return valid_field_value(value.data(), value.data(), value.data() + value.size());
}

}  // namespace http::detail
