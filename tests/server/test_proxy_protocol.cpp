// The PROXY protocol (Server::proxy_protocol): the header a load balancer sends first, v1 and v2,
// read from trusted peers only, before TLS and HTTP, on real loopback connections.
#include <http/server.hpp>

#include "support/h2_frames.hpp"
#include "support/raw_connection.hpp"
#include "support/test_server.hpp"
#include "support/tls_client.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <initializer_list>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

std::string bytes(std::initializer_list<int> values) {
    std::string out;
    for (const int v : values)
        out += static_cast<char>(v);
    return out;
}

std::string tlv(int type, std::string_view value) {
    return bytes({type, static_cast<int>(value.size() >> 8), static_cast<int>(value.size() & 0xff)}) + std::string(value);
}

// A v2 header: PROXY (0x21) or LOCAL (0x20), TCP over IPv4 from 192.0.2.1:56324 to 198.51.100.7:443.
std::string v2_header(int command = 0x21, std::string_view tlvs = {}) {
    const std::string block = bytes({192, 0, 2, 1, 198, 51, 100, 7, 0xdc, 0x04, 0x01, 0xbb}) + std::string(tlvs);
    return std::string("\r\n\r\n\0\r\nQUIT\n", 12) + bytes({command, 0x11}) +
           bytes({static_cast<int>(block.size() >> 8), static_cast<int>(block.size() & 0xff)}) + block;
}

const std::string v1_header = "PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n";
const std::string get = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";

// What the server made of a request's origin: "ip port scheme destination:port alpn server_name".
struct Who {
    std::atomic<int> served{0};
    std::mutex mutex;
    std::vector<std::string> connected;  // on_connect's ClientInfo.ip

    void configure(http::Server& s) {
        s.proxy_protocol = true;
        s.on_connect([this](const http::ClientInfo& client) {
            const std::lock_guard lock(mutex);
            connected.push_back(client.ip);
        });
        s.on_receive([this](http::Request& req, http::Response& res) {
            ++served;
            const http::ProxyHeader& proxy = req.proxy_header;
            res.body = req.ip + " " + std::to_string(req.port) + " " + req.scheme + " " + proxy.destination_ip + ":" +
                       std::to_string(proxy.destination_port) + " " + proxy.alpn + " " + proxy.server_name;
        });
    }
    std::vector<std::string> connections() {
        const std::lock_guard lock(mutex);
        return connected;
    }
};

test::TestServer proxied_server(Who& who, std::vector<std::string> trusted = {"127.0.0.1/32"},
                                std::chrono::milliseconds read_timeout = 2000ms) {
    return test::TestServer([&who, trusted = std::move(trusted), read_timeout](http::Server& s) {
        who.configure(s);
        s.trusted_proxies = trusted;
        s.read_timeout = read_timeout;
    });
}

// A request with a v1 header from the trusted peer: still served as usual.
void check_still_serving(std::uint16_t port) {
    test::RawConnection c(port);
    BOOST_REQUIRE(c.send(v1_header + get));
    const test::RawResponse response = c.read_response();
    BOOST_TEST(response.status == 200);
    BOOST_TEST(response.body.starts_with("192.0.2.1 56324 http "));
}

// Nothing at all comes back, and the connection ends.
void check_refused(test::RawConnection& c) {
    BOOST_TEST(c.read_until_close().empty());
    BOOST_TEST(c.closed_by_server());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(proxy_protocol)

BOOST_AUTO_TEST_CASE(v1_names_the_client) {
    Who who;
    auto server = proxied_server(who);
    test::RawConnection c(server.port());
    BOOST_REQUIRE(c.send(v1_header + get));  // the header and the request in one segment
    BOOST_TEST(c.read_response().body == "192.0.2.1 56324 http 198.51.100.7:443  ");
    BOOST_REQUIRE(c.send(get));  // the whole connection is the client's
    BOOST_TEST(c.read_response().body == "192.0.2.1 56324 http 198.51.100.7:443  ");
    BOOST_TEST((who.connections() == std::vector<std::string>{"192.0.2.1"}));  // on_connect saw the client

    test::RawConnection six(server.port());
    BOOST_REQUIRE(six.send("PROXY TCP6 2001:db8::7 2001:db8::1 40000 8443\r\n" + get));
    BOOST_TEST(six.read_response().body == "2001:db8::7 40000 http 2001:db8::1:8443  ");
}

BOOST_AUTO_TEST_CASE(v2_names_the_client_and_keeps_tlvs) {
    Who who;
    auto server = proxied_server(who);
    // ALPN, authority (SNI) and SSL with PP2_CLIENT_SSL: the balancer ended the client's TLS.
    const std::string header = v2_header(0x21, tlv(0x01, "h2") + tlv(0x02, "shop.example") +
                                                   tlv(0x20, bytes({0x01, 0, 0, 0, 0}) + tlv(0x21, "TLSv1.3")));
    test::RawConnection c(server.port());
    BOOST_REQUIRE(c.send_slowly(header));  // a byte at a time: the header is read in pieces
    BOOST_REQUIRE(c.send(get));
    BOOST_TEST(c.read_response().body == "192.0.2.1 56324 https 198.51.100.7:443 h2 shop.example");

    test::RawConnection plain(server.port());
    BOOST_REQUIRE(plain.send(v2_header() + get));
    BOOST_TEST(plain.read_response().body == "192.0.2.1 56324 http 198.51.100.7:443  ");
}

BOOST_AUTO_TEST_CASE(local_and_unknown_keep_the_peer) {
    Who who;
    auto server = proxied_server(who);
    // v2 LOCAL (a balancer's health check), its address block ignored; v1 UNKNOWN.
    for (const std::string& header : {v2_header(0x20, tlv(0x01, "h2")), std::string("PROXY UNKNOWN\r\n")}) {
        test::RawConnection c(server.port());
        BOOST_REQUIRE(c.send(header + get));
        const std::string body = c.read_response().body;
        BOOST_TEST(body.starts_with("127.0.0.1 "), body);
        BOOST_TEST(body.ends_with(" http :0  "), body);
    }
    BOOST_TEST((who.connections() == std::vector<std::string>{"127.0.0.1", "127.0.0.1"}));
}

BOOST_AUTO_TEST_CASE(untrusted_peer_refused) {
    Who who;
    auto server = proxied_server(who);  // 127.0.0.1/32 only
    {
        test::RawConnection c(server.port(), 5s, "127.0.0.2");
        c.send(v1_header + get);  // may fail: the server may have closed already
        check_refused(c);
    }
    {
        test::RawConnection c(server.port(), 5s, "127.0.0.2");
        check_refused(c);  // closed without waiting for a byte
    }
    BOOST_TEST(who.served == 0);
    BOOST_TEST(who.connections().empty());  // never announced to on_connect
    check_still_serving(server.port());
    BOOST_TEST(who.served == 1);
}

BOOST_AUTO_TEST_CASE(malformed_refused) {
    Who who;
    auto server = proxied_server(who);
    const std::string longest_v1 = "PROXY UNKNOWN " + std::string(91, 'x') + "\r\n";  // 107 bytes
    for (const std::string& start : {
             get,                                                       // no header
             std::string("PROXY TCP4 192.0.2.1 198.51.100.7 56324\r\n") + get,  // a port missing
             std::string("PROXY TCP4 192.0.2.01 198.51.100.7 1 2\r\n") + get,   // a leading zero
             "PROXY UNKNOWN " + std::string(92, 'x') + "\r\n" + get,    // 108 bytes: one past the limit
             std::string("PROXY TCP4 192.0.2.1 198.51.100.7 1 2\n") + get,      // LF alone
             v2_header().replace(12, 1, 1, '\x31') + get,              // version 3
             v2_header().replace(14, 2, bytes({0x08, 0x01})) + std::string(2049, 'x'),  // 16 + 2049 bytes
             v2_header(0x21, tlv(0x03, "abcd")) + get,                 // a wrong CRC32C
             v2_header(0x21, bytes({0x01, 0x00, 0x09, 'h'})) + get,    // a TLV past the header's end
             test::h2::preface + get,                                  // h2c without a header
         }) {
        test::RawConnection c(server.port());
        c.send(start);
        check_refused(c);
    }
    BOOST_TEST(who.served == 0);
    BOOST_TEST(who.connections().empty());

    test::RawConnection c(server.port());  // 107 bytes is still a header
    BOOST_REQUIRE(c.send(longest_v1 + get));
    BOOST_TEST(c.read_response().body.starts_with("127.0.0.1 "));
    check_still_serving(server.port());
}

BOOST_AUTO_TEST_CASE(slow_header_closed_after_read_timeout) {
    Who who;
    auto server = proxied_server(who, {"127.0.0.1/32"}, 300ms);
    for (const std::string& part : {std::string(), v1_header.substr(0, 20), v2_header().substr(0, 20)}) {
        test::RawConnection c(server.port(), 5s);
        if (!part.empty())
            BOOST_REQUIRE(c.send(part));
        const auto start = std::chrono::steady_clock::now();
        check_refused(c);
        const auto waited = std::chrono::steady_clock::now() - start;
        BOOST_TEST(waited >= 250ms);  // not refused before its time: the header may come in pieces
        BOOST_TEST(waited < 3s);
    }
    BOOST_TEST(who.served == 0);
    check_still_serving(server.port());
}

BOOST_AUTO_TEST_CASE(close_ends_a_header_being_read) {
    Who who;
    auto server = proxied_server(who, {"127.0.0.1/32"}, 30s);  // not the timeout: the close
    test::RawConnection c(server.port(), 10s);
    BOOST_REQUIRE(c.send(v1_header.substr(0, 20)));
    std::this_thread::sleep_for(100ms);  // the server has read the beginning
    const auto start = std::chrono::steady_clock::now();
    server.server().close();
    check_refused(c);
    const auto waited = std::chrono::steady_clock::now() - start;
    BOOST_TEST(waited < 5s);
    BOOST_TEST(who.served == 0);
}

BOOST_AUTO_TEST_CASE(before_tls) {
    const test::TestCertificates& certificates = test::TestCertificates::get();
    Who who;
    test::TestServer server([&](http::Server& s) {
        who.configure(s);
        s.trusted_proxies = {"127.0.0.1"};
        s.tls_certificate = certificates.pem("localhost");
        s.tls_private_key = certificates.key("localhost");
    });
    // The header alone first, then the handshake; and the header in the ClientHello's segment,
    // read together: TLS gets the bytes that followed the header.
    for (const bool together : {false, true}) {
        test::TlsClient client(server.port(), {.preamble = v2_header(), .preamble_with_hello = together});
        BOOST_REQUIRE_MESSAGE(client.handshake(), client.error());
        client.send(get);
        const std::string response = client.read_responses(1);
        BOOST_TEST(response.ends_with("\r\n\r\n192.0.2.1 56324 https 198.51.100.7:443  "), response);
    }
    {
        test::TlsClient client(server.port(), {.preamble = v1_header});
        BOOST_REQUIRE_MESSAGE(client.handshake(), client.error());
        client.send(get);
        BOOST_TEST(client.read_responses(1).ends_with("\r\n\r\n192.0.2.1 56324 https 198.51.100.7:443  "));
    }
    {
        test::TlsClient client(server.port());  // a handshake without the header is not one
        BOOST_TEST(!client.handshake());
    }
    BOOST_TEST(who.served == 3);
}

BOOST_AUTO_TEST_CASE(http2_cleartext) {
    using namespace test::h2;
    Who who;
    auto server = proxied_server(who);
    test::RawConnection c(server.port());
    Reader reader(c);
    BOOST_REQUIRE(c.send(v1_header + preface + frame(SETTINGS, 0, 0) + frame(HEADERS, END_STREAM | END_HEADERS, 1, get_root)));
    const Frame* data = reader.until(DATA, 1);
    BOOST_REQUIRE(data);
    BOOST_TEST(data->payload == "192.0.2.1 56324 http 198.51.100.7:443  ");
}

BOOST_AUTO_TEST_CASE(needs_trusted_proxies) {
    http::Server server(0);
    server.proxy_protocol = true;
    BOOST_CHECK_THROW(server.start(), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
