// The PROXY protocol header, v1 and v2 (HAProxy's doc/proxy-protocol.txt), without a socket.
#include "proto/proxy/proxy_header.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <initializer_list>
#include <string>

using http::detail::ProxyHeaderFields;
using http::detail::ProxyParse;
using http::detail::parse_proxy_header;

namespace {

struct Parsed {
    ProxyParse status;
    ProxyHeaderFields fields;
    std::string error;
};

Parsed parse(std::string_view data) {
    Parsed parsed{};
    std::string_view error;
    parsed.status = parse_proxy_header(data, parsed.fields, error);
    parsed.error = error;
    return parsed;
}

bool invalid(std::string_view data) { return parse(data).status == ProxyParse::invalid; }

// Every strict beginning of a valid header asks for more.
void check_prefixes_incomplete(const std::string& header) {
    for (std::size_t n = 0; n < header.size(); ++n)
        BOOST_TEST((parse(header.substr(0, n)).status == ProxyParse::incomplete), "prefix of " << n << " bytes");
}

std::string bytes(std::initializer_list<int> values) {
    std::string out;
    for (const int v : values)
        out += static_cast<char>(v);
    return out;
}

const std::string signature("\r\n\r\n\0\r\nQUIT\n", 12);

std::string be16(std::size_t v) { return bytes({static_cast<int>(v >> 8), static_cast<int>(v & 0xff)}); }

std::string tlv(int type, std::string_view value) { return bytes({type}) + be16(value.size()) + std::string(value); }

// A v2 header: command byte, family byte, then the block (addresses and TLVs).
std::string v2(int version_command, int family_protocol, const std::string& block) {
    return signature + bytes({version_command, family_protocol}) + be16(block.size()) + block;
}

// TCP over IPv4, 192.0.2.1:56324 -> 198.51.100.7:443.
const std::string ipv4_block = bytes({192, 0, 2, 1, 198, 51, 100, 7, 0xdc, 0x04, 0x01, 0xbb});

}  // namespace

BOOST_AUTO_TEST_SUITE(proxy_header)

BOOST_AUTO_TEST_CASE(v1_tcp4) {
    const std::string header = "PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n";
    const Parsed p = parse(header + "GET / HTTP/1.1\r\n");
    BOOST_TEST((p.status == ProxyParse::done));
    BOOST_TEST(p.fields.version == 1);
    BOOST_TEST(p.fields.size == header.size());
    BOOST_TEST(p.fields.relayed);
    BOOST_TEST(p.fields.source_ip == "192.0.2.1");
    BOOST_TEST(p.fields.source_port == 56324);
    BOOST_TEST(p.fields.destination_ip == "198.51.100.7");
    BOOST_TEST(p.fields.destination_port == 443);
    check_prefixes_incomplete(header);
}

BOOST_AUTO_TEST_CASE(v1_tcp6) {
    const Parsed p = parse("PROXY TCP6 2001:DB8:0:0::1 ::ffff:192.0.2.9 0 65535\r\n");
    BOOST_TEST((p.status == ProxyParse::done));
    BOOST_TEST(p.fields.source_ip == "2001:db8::1");  // canonical form
    BOOST_TEST(p.fields.destination_ip == "192.0.2.9");  // IPv4-mapped, as the server shows peers
    BOOST_TEST(p.fields.source_port == 0);
    BOOST_TEST(p.fields.destination_port == 65535);
}

BOOST_AUTO_TEST_CASE(v1_unknown) {
    Parsed p = parse("PROXY UNKNOWN\r\nGET");
    BOOST_TEST((p.status == ProxyParse::done));
    BOOST_TEST(!p.fields.relayed);
    BOOST_TEST(p.fields.size == 15u);
    // Anything may follow UNKNOWN before the CRLF, and is ignored.
    p = parse("PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n");
    BOOST_TEST((p.status == ProxyParse::done));
    BOOST_TEST(p.fields.size == 107u);  // the longest line there is
    BOOST_TEST(!p.fields.relayed);
    BOOST_TEST(invalid("PROXY UNKNOWNX\r\n"));
}

BOOST_AUTO_TEST_CASE(v1_size_limit) {
    // 107 bytes, CRLF included, is the most; one more is refused without waiting for the CRLF.
    const std::string longest = "PROXY UNKNOWN " + std::string(107 - 14 - 2, 'x') + "\r\n";
    BOOST_REQUIRE(longest.size() == 107u);
    BOOST_TEST((parse(longest).status == ProxyParse::done));
    const std::string too_long = "PROXY UNKNOWN " + std::string(107 - 14 - 1, 'x') + "\r\n";
    BOOST_TEST(invalid(too_long));
    BOOST_TEST(invalid(too_long.substr(0, 107)));  // 107 bytes without a CRLF: no need to wait
    BOOST_TEST((parse(too_long.substr(0, 106)).status == ProxyParse::incomplete));
    // A TCP6 line of the longest addresses fits.
    const Parsed p = parse("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n");
    BOOST_TEST((p.status == ProxyParse::done));
    BOOST_TEST(p.fields.size == 104u);
}

BOOST_AUTO_TEST_CASE(v1_malformed) {
    for (const char* line : {
             "PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\n",      // LF alone
             "PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\r\n",  // CR before the CRLF
             "PROXY TCP4 192.0.2.1 198.51.100.7 56324\r\n",        // a port missing
             "PROXY TCP4 192.0.2.1 198.51.100.7 56324 443 1\r\n",  // one field too many
             "PROXY TCP4  192.0.2.1 198.51.100.7 56324 443\r\n",   // two spaces
             "PROXY TCP4 192.0.2.1 198.51.100.7 56324 443 \r\n",   // a trailing space
             "PROXY TCP4 192.0.2.01 198.51.100.7 56324 443\r\n",   // a leading zero (octal?)
             "PROXY TCP4 192.0.2.256 198.51.100.7 56324 443\r\n",  // out of range
             "PROXY TCP4 192.0.2 198.51.100.7 56324 443\r\n",      // three bytes
             "PROXY TCP4 192.0.2.1.5 198.51.100.7 56324 443\r\n",  // five
             "PROXY TCP4 ::1 ::1 56324 443\r\n",                   // IPv6 under TCP4
             "PROXY TCP6 192.0.2.1 198.51.100.7 56324 443\r\n",    // IPv4 under TCP6
             "PROXY TCP6 2001:db8::1::2 ::1 1 2\r\n",              // two "::"
             "PROXY TCP6 2001:db8::1%eth0 ::1 1 2\r\n",            // a zone
             "PROXY TCP4 192.0.2.1 198.51.100.7 056324 443\r\n",   // a leading zero in a port
             "PROXY TCP4 192.0.2.1 198.51.100.7 65536 443\r\n",    // a port out of range
             "PROXY TCP4 192.0.2.1 198.51.100.7 -1 443\r\n",       // a sign
             "PROXY TCP4 192.0.2.1 198.51.100.7 +1 443\r\n",
             "PROXY TCP4 192.0.2.1 198.51.100.7 1 \r\n",           // an empty port
             "PROXY UDP4 192.0.2.1 198.51.100.7 56324 443\r\n",    // no such protocol
             "PROXY tcp4 192.0.2.1 198.51.100.7 56324 443\r\n",    // case matters
             "PROXY \r\n",
             "PROXY\r\n",
             "proxy TCP4 192.0.2.1 198.51.100.7 56324 443\r\n",
         }) {
        const Parsed p = parse(line);
        BOOST_TEST((p.status == ProxyParse::invalid), line);
        BOOST_TEST(!p.error.empty());
    }
    BOOST_TEST(invalid(std::string("PROXY TCP4 192.0.2.1\0 198.51.100.7 1 2\r\n", 41)));  // a NUL
}

BOOST_AUTO_TEST_CASE(refused_at_the_first_wrong_byte) {
    // Not a PROXY header at all: refused at once, not after a timeout.
    BOOST_TEST(invalid("G"));
    BOOST_TEST(invalid("GET / HTTP/1.1\r\n\r\n"));
    BOOST_TEST(invalid("PRI * HTTP/2.0\r\n"));  // an h2c preface starts with P
    BOOST_TEST(invalid(std::string("\x16\x03\x01", 3)));  // a TLS ClientHello
    BOOST_TEST(invalid("\r\n\r\nX"));
    BOOST_TEST(invalid(signature + bytes({0x11})));  // version 1 in a v2 header
    BOOST_TEST((parse("PRO").status == ProxyParse::incomplete));
    BOOST_TEST((parse(signature.substr(0, 5)).status == ProxyParse::incomplete));
}

BOOST_AUTO_TEST_CASE(v2_tcp4) {
    const std::string header = v2(0x21, 0x11, ipv4_block);
    const Parsed p = parse(header + "GET / HTTP/1.1\r\n");
    BOOST_TEST((p.status == ProxyParse::done));
    BOOST_TEST(p.fields.version == 2);
    BOOST_TEST(p.fields.size == 28u);
    BOOST_TEST(p.fields.relayed);
    BOOST_TEST(p.fields.source_ip == "192.0.2.1");
    BOOST_TEST(p.fields.source_port == 56324);
    BOOST_TEST(p.fields.destination_ip == "198.51.100.7");
    BOOST_TEST(p.fields.destination_port == 443);
    BOOST_TEST(p.fields.alpn.empty());
    BOOST_TEST(!p.fields.tls);
    check_prefixes_incomplete(header);
}

BOOST_AUTO_TEST_CASE(v2_tcp6_and_udp) {
    std::string block = bytes({0x20, 0x01, 0x0d, 0xb8}) + std::string(11, '\0') + bytes({1});  // 2001:db8::1
    block += std::string(10, '\0') + bytes({0xff, 0xff, 192, 0, 2, 9});                       // ::ffff:192.0.2.9
    block += be16(8080) + be16(80);
    Parsed p = parse(v2(0x21, 0x21, block));
    BOOST_TEST((p.status == ProxyParse::done));
    BOOST_TEST(p.fields.source_ip == "2001:db8::1");
    BOOST_TEST(p.fields.destination_ip == "192.0.2.9");
    BOOST_TEST(p.fields.source_port == 8080);
    BOOST_TEST(p.fields.destination_port == 80);
    p = parse(v2(0x21, 0x12, ipv4_block));  // UDP over IPv4: the same addresses
    BOOST_TEST((p.status == ProxyParse::done));
    BOOST_TEST(p.fields.source_ip == "192.0.2.1");
}

BOOST_AUTO_TEST_CASE(v2_local_keeps_the_peer) {
    // LOCAL (a health check): the block, whatever it says, is skipped, as are its TLVs.
    Parsed p = parse(v2(0x20, 0x00, ""));
    BOOST_TEST((p.status == ProxyParse::done));
    BOOST_TEST(!p.fields.relayed);
    BOOST_TEST(p.fields.size == 16u);
    p = parse(v2(0x20, 0x11, ipv4_block + tlv(0x01, "h2")) + "GET");
    BOOST_TEST((p.status == ProxyParse::done));
    BOOST_TEST(!p.fields.relayed);
    BOOST_TEST(p.fields.source_ip.empty());
    BOOST_TEST(p.fields.alpn.empty());
    BOOST_TEST(p.fields.size == 16u + 12u + 5u);
    // PROXY with an unspecified family or protocol: the connection's own endpoints too.
    p = parse(v2(0x21, 0x00, "anything"));
    BOOST_TEST((p.status == ProxyParse::done));
    BOOST_TEST(!p.fields.relayed);
    BOOST_TEST(p.fields.size == 24u);
    p = parse(v2(0x21, 0x10, ipv4_block));
    BOOST_TEST((p.status == ProxyParse::done));
    BOOST_TEST(!p.fields.relayed);
}

BOOST_AUTO_TEST_CASE(v2_unix) {
    const Parsed p = parse(v2(0x21, 0x31, std::string(216, '\0')));
    BOOST_TEST((p.status == ProxyParse::done));
    BOOST_TEST(p.fields.relayed);
    BOOST_TEST(p.fields.source_ip == "unix:");
    BOOST_TEST(invalid(v2(0x21, 0x31, std::string(215, '\0'))));
}

BOOST_AUTO_TEST_CASE(v2_tlvs) {
    std::string ssl = bytes({0x01, 0, 0, 0, 0}) + tlv(0x21, "TLSv1.3");  // PP2_CLIENT_SSL, verified
    const std::string header = v2(0x21, 0x11,
                                  ipv4_block + tlv(0x04, "") + tlv(0x01, "h2") + tlv(0x02, "api.example.com") +
                                      tlv(0x05, std::string(128, '\x01')) + tlv(0x20, ssl) + tlv(0xe0, "custom"));
    const Parsed p = parse(header + "rest");
    BOOST_TEST((p.status == ProxyParse::done), p.error);
    BOOST_TEST(p.fields.size == header.size());
    BOOST_TEST(p.fields.alpn == "h2");
    BOOST_TEST(p.fields.authority == "api.example.com");
    BOOST_TEST(p.fields.tls);
    BOOST_TEST(p.fields.source_ip == "192.0.2.1");
    check_prefixes_incomplete(header);

    // The SSL TLV without PP2_CLIENT_SSL: the client did not use TLS.
    const Parsed plain = parse(v2(0x21, 0x11, ipv4_block + tlv(0x20, bytes({0x00, 0, 0, 0, 1}))));
    BOOST_TEST((plain.status == ProxyParse::done));
    BOOST_TEST(!plain.fields.tls);
}

BOOST_AUTO_TEST_CASE(v2_crc32c) {
    BOOST_TEST(http::detail::crc32c("123456789") == 0xe3069283u);  // RFC 3720's check value
    // A header with its CRC32C field, computed with the field zeroed.
    const std::string unsigned_header = v2(0x21, 0x11, ipv4_block + tlv(0x01, "h2") + tlv(0x03, std::string(4, '\0')));
    const std::uint32_t crc = http::detail::crc32c(unsigned_header);
    std::string header = unsigned_header;
    for (int i = 0; i < 4; ++i)
        header[header.size() - 4 + static_cast<std::size_t>(i)] = static_cast<char>(crc >> (24 - 8 * i));
    const Parsed p = parse(header);
    BOOST_TEST((p.status == ProxyParse::done), p.error);
    BOOST_TEST(p.fields.alpn == "h2");
    // One bit changed anywhere, the CRC32C field included, and the header is refused.
    for (std::size_t i = 16; i < header.size(); ++i) {
        if (i == 33)
            continue;  // the CRC32C TLV's type: another type is a TLV ignored, and no CRC to check
        std::string changed = header;
        changed[i] = static_cast<char>(changed[i] ^ 0x10);
        BOOST_TEST(invalid(changed), "byte " << i);
    }
    BOOST_TEST(invalid(v2(0x21, 0x11, ipv4_block + tlv(0x03, "abc"))));  // not 4 bytes
}

BOOST_AUTO_TEST_CASE(v2_size_limit) {
    // 16 + 2048 bytes is the most taken; one more is refused from the fixed part alone.
    const std::string filler = tlv(0x04, std::string(2048 - 12 - 3, 'n'));
    const std::string largest = v2(0x21, 0x11, ipv4_block + filler);
    BOOST_REQUIRE(largest.size() == 16u + 2048u);
    const Parsed p = parse(largest);
    BOOST_TEST((p.status == ProxyParse::done), p.error);
    BOOST_TEST(p.fields.size == 2064u);
    const std::string too_large = v2(0x21, 0x11, ipv4_block + tlv(0x04, std::string(2048 - 12 - 3 + 1, 'n')));
    BOOST_TEST(invalid(too_large));
    BOOST_TEST(invalid(too_large.substr(0, 16)));
    BOOST_TEST(invalid(signature + bytes({0x21, 0x11, 0xff, 0xff})));
}

BOOST_AUTO_TEST_CASE(v2_malformed) {
    for (const std::string& header : {
             v2(0x22, 0x11, ipv4_block),                           // command 2
             v2(0x2f, 0x11, ipv4_block),                           // command 15
             v2(0x31, 0x11, ipv4_block),                           // version 3
             v2(0x21, 0x41, ipv4_block),                           // family 4
             v2(0x21, 0x13, ipv4_block),                           // protocol 3
             v2(0x21, 0x11, ipv4_block.substr(0, 11)),             // an IPv4 block short by one
             v2(0x21, 0x21, std::string(35, '\0')),                // an IPv6 one short by one
             v2(0x21, 0x11, ipv4_block + bytes({0x01, 0x00})),     // a TLV cut in its length
             v2(0x21, 0x11, ipv4_block + bytes({0x01, 0x00, 0x03, 'h', '2'})),  // a value cut short
             v2(0x21, 0x11, ipv4_block + tlv(0x01, "")),           // an empty ALPN
             v2(0x21, 0x11, ipv4_block + tlv(0x02, "a\r\nb")),     // an authority with CRLF
             v2(0x21, 0x11, ipv4_block + tlv(0x20, bytes({1, 0, 0, 0}))),  // an SSL TLV too short
         }) {
        const Parsed p = parse(header);
        BOOST_TEST((p.status == ProxyParse::invalid), p.error);
        BOOST_TEST(!p.error.empty());
    }
}

BOOST_AUTO_TEST_SUITE_END()
