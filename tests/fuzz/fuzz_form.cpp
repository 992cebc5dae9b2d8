// Query strings and urlencoded forms, and percent-encoding round trips.
#include "fuzz.hpp"

#include "proto/url/percent.hpp"

using namespace http::detail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    http::Fields fields;
    parse_urlencoded(text, fields);
    FUZZ_CHECK(fields.size() <= size + 1);  // at most one field per byte, plus one
    const std::string encoded = percent_encode(text);
    for (const char c : encoded)
        FUZZ_CHECK((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' || c == '.' ||
                   c == '_' || c == '~' || c == '%');
    FUZZ_CHECK(percent_decode(encoded) == text);
    FUZZ_CHECK(percent_decode(text, true).size() <= size);
    return 0;
}
