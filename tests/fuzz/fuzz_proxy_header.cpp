// PROXY protocol headers (v1 and v2) in pieces: what a header is never depends on where the
// bytes were cut or on what follows it, and nothing is read past the bounds.
#include "fuzz.hpp"

#include "proto/proxy/proxy_header.hpp"

using http::detail::ProxyHeaderFields;
using http::detail::ProxyParse;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const fuzz::Input input = fuzz::split_input(data, size);
    ProxyHeaderFields whole;
    std::string_view error;
    const ProxyParse status = http::detail::parse_proxy_header(input.bytes, whole, error);
    switch (status) {
    case ProxyParse::done:
        FUZZ_CHECK(whole.size > 0 && whole.size <= input.bytes.size());
        FUZZ_CHECK(whole.version == 1 || whole.version == 2);
        FUZZ_CHECK(whole.size <= (whole.version == 1 ? http::detail::proxy_v1_max_size
                                                     : http::detail::proxy_v2_fixed_size + http::detail::proxy_v2_max_length));
        FUZZ_CHECK(!whole.relayed || (!whole.source_ip.empty() && !whole.destination_ip.empty()));
        break;
    case ProxyParse::invalid:
        FUZZ_CHECK(!error.empty());
        break;
    case ProxyParse::incomplete:
        FUZZ_CHECK(input.bytes.size() < http::detail::proxy_v2_fixed_size + http::detail::proxy_v2_max_length);
        break;
    }

    // The bytes cut at `split`: a beginning of a header asks for more; once the header is whole,
    // the same header.
    ProxyHeaderFields part;
    std::string_view part_error;
    const ProxyParse part_status = http::detail::parse_proxy_header(input.bytes.substr(0, input.split), part, part_error);
    if (status == ProxyParse::done && input.split < whole.size)
        FUZZ_CHECK(part_status == ProxyParse::incomplete);
    if (status == ProxyParse::done && input.split >= whole.size) {
        FUZZ_CHECK(part_status == ProxyParse::done);
        FUZZ_CHECK(part.size == whole.size && part.source_ip == whole.source_ip && part.alpn == whole.alpn &&
                   part.authority == whole.authority && part.relayed == whole.relayed);
    }
    if (status == ProxyParse::invalid)
        FUZZ_CHECK(part_status != ProxyParse::done);
    if (status == ProxyParse::incomplete)
        FUZZ_CHECK(part_status == ProxyParse::incomplete);
    return 0;
}
