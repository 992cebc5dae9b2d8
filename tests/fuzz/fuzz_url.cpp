// URL parsing and reference resolution: a parsed URL, written out, parses to itself.
#include "fuzz.hpp"

#include "proto/url/url.hpp"

using namespace http::detail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::string error;
    if (const auto url = parse_url(text, error)) {
        FUZZ_CHECK(url->scheme == "http" || url->scheme == "https");
        FUZZ_CHECK(!url->host.empty() && url->port != 0);
        FUZZ_CHECK(!url->target.empty() && url->target.front() == '/');
        for (const char c : url->target)
            FUZZ_CHECK(c > 0x20 && c < 0x7f);  // ready for a request-line
        const auto again = parse_url(url->str(), error);
        FUZZ_CHECK(again && again->str() == url->str());
    }
    static const Url base = *parse_url("http://example.com:8080/a/b/c?q=1", error);
    if (const auto resolved = resolve_url(base, text, error)) {
        FUZZ_CHECK(!resolved->target.empty() && resolved->target.front() == '/');
        for (const char c : resolved->target)
            FUZZ_CHECK(c > 0x20 && c < 0x7f);
    }
    return 0;
}
