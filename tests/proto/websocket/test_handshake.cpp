// The WebSocket opening handshake's pieces: the accept key, keys, subprotocols, and
// permessage-deflate's negotiation on both sides.
#include "proto/websocket/handshake.hpp"

#include <boost/test/unit_test.hpp>

using namespace http::detail::websocket;

BOOST_AUTO_TEST_SUITE(websocket_handshake)

BOOST_AUTO_TEST_CASE(the_accept_key_is_the_rfcs) {
    BOOST_TEST(accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");  // RFC 6455, Section 1.3
    BOOST_TEST(accept_key("x3JJHMbDL1EzLkh9GBhXDw==") == "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
}

BOOST_AUTO_TEST_CASE(a_key_is_sixteen_bytes_of_base64) {
    BOOST_TEST(valid_key("dGhlIHNhbXBsZSBub25jZQ=="));
    BOOST_TEST(!valid_key("dGhlIHNhbXBsZSBub25jZQ="));     // short
    BOOST_TEST(!valid_key("dGhlIHNhbXBsZSBub25jZQ==="));   // long
    BOOST_TEST(!valid_key("dGhlIHNhbXBsZSBub25jZR=="));    // bits past the 16 bytes
    BOOST_TEST(!valid_key("dGhlIHNhbXBsZSBub25j*Q=="));    // not base64
    BOOST_TEST(!valid_key(""));
}

BOOST_AUTO_TEST_CASE(the_server_picks_the_first_subprotocol_it_supports) {
    BOOST_TEST(choose_subprotocol("chat, superchat", {"superchat", "chat"}) == "superchat");
    BOOST_TEST(choose_subprotocol("v2.json,v1.json", {"v1.json"}) == "v1.json");
    BOOST_TEST(choose_subprotocol("other", {"chat"}).empty());
    BOOST_TEST(choose_subprotocol("", {"chat"}).empty());
    BOOST_TEST(choose_subprotocol("chatty", {"chat"}).empty());  // whole names only
}

BOOST_AUTO_TEST_CASE(the_server_accepts_the_first_deflate_offer_it_can_without_context_takeover) {
    const auto plain = negotiate_deflate("permessage-deflate");
    BOOST_REQUIRE(plain.has_value());
    BOOST_TEST(deflate_response(*plain) == "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
    const auto browser = negotiate_deflate("permessage-deflate; client_max_window_bits");  // Chromium's offer
    BOOST_REQUIRE(browser.has_value());
    const auto windowed = negotiate_deflate("permessage-deflate; server_max_window_bits=10; client_max_window_bits=12");
    BOOST_REQUIRE(windowed.has_value());
    BOOST_TEST(windowed->server_max_window_bits == 10);
    BOOST_TEST(deflate_response(*windowed).find("server_max_window_bits=10") != std::string::npos);
    // Declined: unknown or repeated parameters, bad values, a window of 8 bits (zlib uses 9).
    BOOST_TEST(!negotiate_deflate("permessage-deflate; unknown").has_value());
    BOOST_TEST(!negotiate_deflate("permessage-deflate; server_no_context_takeover; server_no_context_takeover"));
    BOOST_TEST(!negotiate_deflate("permessage-deflate; server_max_window_bits=16"));
    BOOST_TEST(!negotiate_deflate("permessage-deflate; server_max_window_bits"));
    BOOST_TEST(!negotiate_deflate("permessage-deflate; server_max_window_bits=8"));
    BOOST_TEST(!negotiate_deflate("x-webkit-deflate-frame").has_value());
    // The next offer is tried when the first cannot be taken.
    const auto second = negotiate_deflate("permessage-deflate; server_max_window_bits=8, permessage-deflate");
    BOOST_TEST(second.has_value());
}

BOOST_AUTO_TEST_CASE(the_client_takes_an_answer_its_offer_allows_and_refuses_others) {
    std::string error;
    BOOST_TEST(deflate_offer() == "permessage-deflate; client_max_window_bits");
    const auto agreed = accept_deflate_response("permessage-deflate; server_no_context_takeover; client_max_window_bits=10", error);
    BOOST_REQUIRE(agreed.has_value());
    BOOST_TEST(error.empty());
    BOOST_TEST(agreed->server_no_context_takeover);
    BOOST_TEST(agreed->client_max_window_bits == 10);
    BOOST_TEST(!accept_deflate_response("", error).has_value());  // declined: no compression
    BOOST_TEST(error.empty());
    BOOST_TEST(!accept_deflate_response("permessage-deflate; bogus=1", error).has_value());
    BOOST_TEST(!error.empty());
    BOOST_TEST(!accept_deflate_response("x-other", error).has_value());
    BOOST_TEST(!error.empty());
}

BOOST_AUTO_TEST_SUITE_END()
