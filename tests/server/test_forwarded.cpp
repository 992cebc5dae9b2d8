// Who the client is behind proxies: Forwarded and X-Forwarded-* believed only from trusted peers,
// and control bytes kept out of field values both ways.
#include <http/client.hpp>
#include <http/server.hpp>

#include "proto/message/forwarded.hpp"
#include "support/raw_connection.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

namespace {

// A server that answers with what it made of the request: "ip host scheme".
test::TestServer who_server(std::vector<std::string> trusted) {
    return test::TestServer([trusted = std::move(trusted)](http::Server& s) {
        s.trusted_proxies = trusted;
        s.on_receive([](http::Request& req, http::Response& res) { res.body = req.ip + " " + req.host + " " + req.scheme; });
    });
}

std::string who(test::TestServer& server, std::string_view fields) {
    return test::exchange(server.port(), "GET / HTTP/1.1\r\nHost: origin.example\r\n" + std::string(fields) + "\r\n").body;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(forwarded)

BOOST_AUTO_TEST_CASE(ignored_from_an_untrusted_peer) {
    auto server = who_server({});  // the default: no one is trusted
    const std::string poison = "X-Forwarded-Host: evil.example\r\nX-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Proto: https\r\n"
                               "Forwarded: for=6.6.6.6;host=evil.example;proto=https\r\n";
    BOOST_TEST(who(server, poison) == "127.0.0.1 origin.example http");
    auto elsewhere = who_server({"10.0.0.0/8"});  // trusting others, not this peer
    BOOST_TEST(who(elsewhere, poison) == "127.0.0.1 origin.example http");
}

BOOST_AUTO_TEST_CASE(x_forwarded_from_a_trusted_peer) {
    auto server = who_server({"127.0.0.1", "10.0.0.0/8"});
    BOOST_TEST(who(server, "X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Host: shop.example:8443\r\nX-Forwarded-Proto: HTTPS\r\n") ==
               "203.0.113.9 shop.example:8443 https");
    // The chain is walked from the right, past trusted proxies; what the client wrote on the left
    // is not believed.
    BOOST_TEST(who(server, "X-Forwarded-For: 1.1.1.1, 203.0.113.9, 10.1.2.3\r\n").starts_with("203.0.113.9 "));
    BOOST_TEST(who(server, "X-Forwarded-For: 1.1.1.1\r\nX-Forwarded-For: 10.0.0.7\r\n").starts_with("1.1.1.1 "));
    BOOST_TEST(who(server, "X-Forwarded-For: 10.0.0.1, 10.0.0.2\r\n").starts_with("10.0.0.1 "));  // all trusted
    BOOST_TEST(who(server, "X-Forwarded-For: garbage, 203.0.113.9\r\n").starts_with("203.0.113.9 "));
    BOOST_TEST(who(server, "X-Forwarded-Host: front.example, proxy.example\r\n") == "127.0.0.1 front.example http");
    // A forwarded host is validated as Host is; an invalid one is ignored, as is an odd protocol.
    BOOST_TEST(who(server, "X-Forwarded-Host: evil.example/<img src=x onerror=alert(1)> \"q\r\n") ==
               "127.0.0.1 origin.example http");
    BOOST_TEST(who(server, "X-Forwarded-Proto: gopher\r\n") == "127.0.0.1 origin.example http");
}

BOOST_AUTO_TEST_CASE(forwarded_rfc_7239) {
    auto server = who_server({"127.0.0.0/8", "::1/128", "192.0.2.0/24"});
    BOOST_TEST(who(server, "Forwarded: for=198.51.100.17;proto=https;host=api.example\r\n") ==
               "198.51.100.17 api.example https");
    BOOST_TEST(who(server, "Forwarded: for=\"[2001:db8:cafe::17]:4711\";proto=http\r\n") == "2001:db8:cafe::17 origin.example http");
    // Several hops: the client is the first untrusted address from the right; host and proto are
    // what the proxy that met the client saw.
    BOOST_TEST(who(server, "Forwarded: for=1.2.3.4;host=fake.example, for=198.51.100.17;host=real.example;proto=https, "
                           "for=192.0.2.60;host=inner.example\r\n") == "198.51.100.17 real.example https");
    // Forwarded wins over X-Forwarded-*.
    BOOST_TEST(who(server, "Forwarded: for=198.51.100.17\r\nX-Forwarded-For: 203.0.113.9\r\n").starts_with("198.51.100.17 "));
    // "unknown" ends the chain at the last proxy known.
    BOOST_TEST(who(server, "Forwarded: for=unknown, for=192.0.2.43\r\n").starts_with("192.0.2.43 "));
}

BOOST_AUTO_TEST_CASE(malformed_trusted_proxies_stop_start) {
    http::Server server(0);
    server.trusted_proxies = {"10.0.0.0/33"};
    BOOST_CHECK_THROW(server.start(), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(networks) {
    using http::detail::parse_network;
    using http::detail::parse_ip;
    const auto ten = parse_network("10.0.0.0/8");
    BOOST_REQUIRE(ten.has_value());
    BOOST_TEST(ten->contains(*parse_ip("10.255.1.2")));
    BOOST_TEST(!ten->contains(*parse_ip("11.0.0.1")));
    BOOST_TEST(!ten->contains(*parse_ip("::ffff:b00:1")));
    const auto v6 = parse_network("2001:db8::/33");
    BOOST_REQUIRE(v6.has_value());
    BOOST_TEST(v6->contains(*parse_ip("2001:db8:7fff::1")));
    BOOST_TEST(!v6->contains(*parse_ip("2001:db8:8000::1")));
    for (const char* bad : {"", "10.0.0.0/", "10.0.0.0/-1", "300.0.0.1", "::1/129", "host.example", "10.0.0.0/8x"})
        BOOST_TEST(!parse_network(bad).has_value(), bad);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(field_values)

BOOST_AUTO_TEST_CASE(no_control_bytes_go_out) {
    test::TestServer server([](http::Server& s) {
        s.on_receive([](http::Request& req, http::Response& res) {
            if (req.path == "/redirect")
                res.redirect("/x\x01y");  // throws: a 500
            else if (req.path == "/header")
                res.headers["X-Bell"] = "a\x07" "b";
            else
                res.headers["X-Tab"] = "a\tb";  // HTAB is allowed
        });
    });
    BOOST_TEST(test::exchange(server.port(), test::get("/redirect")).status == 500);
    const auto bell = test::exchange(server.port(), test::get("/header"));
    BOOST_TEST(bell.status == 500);
    BOOST_TEST(bell.header("X-Bell") == "<absent>");
    BOOST_TEST(test::exchange(server.port(), test::get("/tab")).header("X-Tab") == "a\tb");
    const auto errors = server.take_errors();
    BOOST_REQUIRE(errors.size() == 2u);
    BOOST_TEST(errors[0].find("control character") != std::string::npos);
    // The client refuses to send one either.
    http::Client client;
    try {
        client.get("http://127.0.0.1:" + std::to_string(server.port()) + "/", {{"X-Bad", "a\x01" "b"}});
        BOOST_FAIL("a control byte in a request field must be refused");
    } catch (const http::TransportError& e) {
        BOOST_TEST(std::string(e.what()).find("X-Bad") != std::string::npos);
    }
}

BOOST_AUTO_TEST_SUITE_END()
