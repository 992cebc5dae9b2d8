// Responses and request heads to bytes: the status or request line, the framing fields the
// serializer writes itself, refused field values.
#include "proto/message/serialize.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace http::detail;

BOOST_AUTO_TEST_SUITE(serialize)

BOOST_AUTO_TEST_CASE(status_line_fields_and_body) {
    http::Response r;
    r.status = http::CREATED;
    r.headers["Location"] = "/items/1";
    r.headers["Content-Length"] = "999";  // the server writes its own framing fields
    r.body = "made";
    std::string out;
    BOOST_TEST(!serialize_response(r, {false, true, 1, {}}, out));
    const std::string expected_prefix = "HTTP/1.1 201 Created\r\nDate: ";
    BOOST_TEST(out.substr(0, expected_prefix.size()) == expected_prefix);
    BOOST_TEST(out.ends_with("\r\nLocation: /items/1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 4\r\n\r\nmade"));
    out.clear();
    r.headers["X-Bad"] = "a\nb";
    BOOST_CHECK_THROW(serialize_response(r, {false, true, 1, {}}, out), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(heads_of_any_size) {
    // The head is gathered in a 1 KiB buffer on the stack: a field that fills it at every offset,
    // an empty value, and values longer than the buffer come out as they went in.
    std::vector<std::size_t> lengths = {0, 1, 2047, 5000};
    for (std::size_t length = 940; length <= 1040; ++length)
        lengths.push_back(length);
    for (const http::Status status : {http::NOT_FOUND, http::SERVICE_UNAVAILABLE, http::OK}) {
        for (const std::size_t length : lengths) {
            BOOST_TEST_CONTEXT("status " << static_cast<int>(status) << ", a value of " << length << " bytes") {
                http::Response r;
                r.status = status;
                r.headers["X-Fill"] = std::string(length, 'f');
                r.headers["X-Empty"] = "";
                r.headers["X-After"] = std::string(length / 2, 'a');
                r.body = "body";
                std::string out = "kept";
                BOOST_TEST(!serialize_response(r, {false, true, 1, {}}, out));
                const std::string status_line = "keptHTTP/1.1 " + std::to_string(static_cast<int>(status)) + " " +
                                                std::string(http::phrase(status)) + "\r\nDate: ";
                BOOST_TEST(out.substr(0, status_line.size()) == status_line);
                const std::string rest = "\r\nX-Fill: " + std::string(length, 'f') + "\r\nX-Empty: \r\nX-After: " +
                                         std::string(length / 2, 'a') +
                                         "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 4\r\n\r\nbody";
                BOOST_TEST(out.ends_with(rest));
                BOOST_TEST(out.size() == status_line.size() + 29 + rest.size());  // an IMF-fixdate is 29 bytes
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(a_body_follows_the_head_in_the_same_string_up_to_the_inline_limit) {
    // A short body is gathered with the head in its buffer (1 KiB, part of it taken by the head);
    // a longer one is appended after it; past inline_body_limit the caller writes it.
    std::vector<std::size_t> sizes = {0, 1, 31, 32, 33, 4096, inline_body_limit - 1, inline_body_limit,
                                      inline_body_limit + 1};
    for (std::size_t size = 850; size <= 1050; ++size)
        sizes.push_back(size);
    for (const std::size_t size : sizes) {
        BOOST_TEST_CONTEXT("a body of " << size << " bytes") {
            http::Response r;
            r.headers["X-Some"] = "thing";
            for (std::size_t i = 0; i < size; ++i)
                r.body += static_cast<char>('a' + i % 26);
            std::string out = "kept";
            const bool separate = serialize_response(r, {false, true, 1, {}}, out);
            BOOST_TEST(separate == (size > inline_body_limit));
            const std::string head_end = "Content-Length: " + std::to_string(size) + "\r\n\r\n";
            const std::size_t body_at = out.find(head_end);
            BOOST_REQUIRE(body_at != std::string::npos);
            BOOST_TEST(out.starts_with("keptHTTP/1.1 200 OK\r\n"));
            BOOST_TEST((out.substr(body_at + head_end.size()) == (separate ? std::string() : r.body)));
            // HEAD: the head alone, announcing the body's length.
            out.clear();
            BOOST_TEST(!serialize_response(r, {true, true, 1, {}}, out));
            BOOST_TEST(out.ends_with(head_end));
        }
    }
}

BOOST_AUTO_TEST_CASE(a_field_value_is_judged_by_each_of_its_bytes_whatever_its_length) {
    // Every byte at every place of values up to 40 bytes long (short ones are judged from loads
    // that overlap), between bytes that are never allowed, which must not be looked at.
    for (std::size_t length = 1; length <= 40; ++length)
        for (std::size_t at = 0; at < length; ++at) {
            std::string bytes = "\r\n\r\n" + std::string(length, 'v') + "\r\n\r\n";
            int wrong = 0;
            for (int c = 0; c < 256; ++c) {
                bytes[4 + at] = static_cast<char>(c);
                const bool allowed = c == '\t' || (c >= 0x20 && c != 0x7f);
                if (is_field_value(std::string_view(bytes).substr(4, length)) != allowed)
                    ++wrong;
            }
            BOOST_TEST(wrong == 0, "length " << length << ", byte " << at << ": " << wrong << " bytes misjudged");
        }
    BOOST_TEST(is_field_value(""));
}

BOOST_AUTO_TEST_CASE(names_and_values_of_every_short_length) {
    // Short names and values are copied in words that may overlap: each of their bytes differs,
    // so that one out of place shows.
    const std::string letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    for (std::size_t length = 0; length <= 40; ++length) {
        BOOST_TEST_CONTEXT("a name and a value of " << length << " bytes") {
            const std::string value = letters.substr(letters.size() - length);
            const std::string name = "X" + letters.substr(0, length);  // never empty
            http::Response r;
            r.headers[name] = value;
            r.headers["Y"] = value;
            r.status = http::OK;
            r.body = value;
            std::string out;
            BOOST_TEST(!serialize_response(r, {false, true, 1, {}}, out));
            const std::string rest = "\r\n" + name + ": " + value + "\r\nY: " + value + "\r\n" +
                                     (length > 0 ? "Content-Type: text/plain; charset=utf-8\r\n" : "") +
                                     "Content-Length: " + std::to_string(length) + "\r\n\r\n" + value;
            BOOST_TEST(out.ends_with(rest));
            BOOST_TEST(out.size() == std::string_view("HTTP/1.1 200 OK\r\nDate: ").size() + 29 + rest.size());
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(serialize_request)

namespace {

std::string serialized(const RequestFraming& framing, const http::Headers& fields, bool* expect = nullptr) {
    std::string out;
    const SerializedRequest result = http::detail::serialize_request(framing, fields, out);
    if (expect)
        *expect = result.expect_continue;
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(request_line_host_and_fields_in_order) {
    RequestFraming framing;
    framing.method = "GET";
    framing.target = "/items?page=2";
    framing.host = "example.com:8080";
    bool expect = true;
    BOOST_TEST(serialized(framing, {{"Accept", "*/*"}, {"X-Empty", ""}, {"X-Tab", "a\tb"}, {"accept", "text/html"}}, &expect) ==
               "GET /items?page=2 HTTP/1.1\r\nHost: example.com:8080\r\nAccept: */*\r\nX-Empty: \r\nX-Tab: a\tb\r\n"
               "accept: text/html\r\n\r\n");
    BOOST_TEST(!expect);
    // Appended to what the string held; a proxy's absolute-form and CONNECT's authority-form.
    std::string out = "kept";
    framing.target = "http://example.com:8080/items";
    http::detail::serialize_request(framing, {}, out);
    BOOST_TEST(out == "keptGET http://example.com:8080/items HTTP/1.1\r\nHost: example.com:8080\r\n\r\n");
    framing.method = "CONNECT";
    framing.target = "example.com:443";
    framing.host = "example.com:443";
    BOOST_TEST(serialized(framing, {}) == "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(an_upgrade_is_announced_with_connection_upgrade) {
    RequestFraming framing;
    framing.method = "GET";
    framing.target = "/chat";
    framing.host = "h";
    framing.upgrade = true;
    // The caller's own Connection field gives way to the framing's.
    BOOST_TEST(serialized(framing, {{"Upgrade", "websocket"}, {"Connection", "keep-alive"}}) ==
               "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
    framing.keep_alive = false;
    BOOST_TEST(serialized(framing, {{"Upgrade", "websocket"}}) ==
               "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade, close\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(framing_fields_are_the_serializers) {
    // Whatever the caller's fields say about Host, length, coding, connection or expectations,
    // in any case, the framing decides.
    RequestFraming framing;
    framing.method = "POST";
    framing.target = "/upload";
    framing.host = "h";
    framing.content_length = 5;
    const http::Headers fields = {{"HOST", "evil"},           {"content-length", "999"}, {"Transfer-Encoding", "chunked"},
                                  {"Connection", "Upgrade"},  {"expect", "100-continue"}, {"Content-Type", "text/plain"}};
    bool expect = true;
    BOOST_TEST(serialized(framing, fields, &expect) ==
               "POST /upload HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n");
    BOOST_TEST(!expect);
    std::string out;
    BOOST_TEST(http::detail::serialize_request(framing, fields, out).keep_alive);
    framing.keep_alive = false;
    out.clear();
    BOOST_TEST(!http::detail::serialize_request(framing, fields, out).keep_alive);
    BOOST_TEST(out ==
               "POST /upload HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\n");
    // No content: no Content-Length at all; empty content: Content-Length: 0 (a POST says so).
    framing.keep_alive = true;
    framing.content_length.reset();
    BOOST_TEST(serialized(framing, {}) == "POST /upload HTTP/1.1\r\nHost: h\r\n\r\n");
    framing.content_length = 0;
    BOOST_TEST(serialized(framing, {}) == "POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
    framing.content_length = 18446744073709551615u;
    BOOST_TEST(serialized(framing, {}).ends_with("\r\nContent-Length: 18446744073709551615\r\n\r\n"));
    BOOST_TEST(is_request_framing_field("expect"));
    BOOST_TEST(is_request_framing_field("TRANSFER-ENCODING"));
    BOOST_TEST(!is_request_framing_field("Content-Type"));
    BOOST_TEST(!is_request_framing_field("Hosts"));
}

BOOST_AUTO_TEST_CASE(expect_continue_only_with_content) {
    RequestFraming framing;
    framing.method = "PUT";
    framing.target = "/f";
    framing.host = "h";
    framing.expect_continue = true;
    bool expect = true;
    BOOST_TEST(serialized(framing, {}, &expect) == "PUT /f HTTP/1.1\r\nHost: h\r\n\r\n");
    BOOST_TEST(!expect);  // nothing to send: nothing to wait for
    framing.content_length = 0;
    BOOST_TEST(serialized(framing, {}, &expect) == "PUT /f HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
    BOOST_TEST(!expect);
    framing.content_length = 2u << 20;
    BOOST_TEST(serialized(framing, {}, &expect) ==
               "PUT /f HTTP/1.1\r\nHost: h\r\nContent-Length: 2097152\r\nExpect: 100-continue\r\n\r\n");
    BOOST_TEST(expect);
    framing.expect_continue = false;
    BOOST_TEST(serialized(framing, {{"Expect", "100-continue"}}, &expect) ==
               "PUT /f HTTP/1.1\r\nHost: h\r\nContent-Length: 2097152\r\n\r\n");
    BOOST_TEST(!expect);
}

BOOST_AUTO_TEST_CASE(what_could_split_the_head_is_refused) {
    RequestFraming good;
    good.method = "GET";
    good.target = "/";
    good.host = "h";
    auto refused = [](const RequestFraming& framing, const http::Headers& fields) {
        std::string out = "kept";
        try {
            http::detail::serialize_request(framing, fields, out);
        } catch (const std::invalid_argument& e) {
            BOOST_TEST(out == "kept");  // nothing written
            return std::string(e.what());
        }
        return std::string("accepted: ") + out;
    };
    for (const char* method : {"", "GET /admin HTTP/1.1\r\nX:", "GE T", "GET\r\n", "G\x01T"}) {
        RequestFraming f = good;
        f.method = method;
        BOOST_TEST(refused(f, {}).find("is not a token") != std::string::npos, "method " << method);
    }
    for (const std::string& target : {std::string(), std::string("/a b"), std::string("/a\r\nX-Injected: 1"),
                                     std::string("/a\0b", 4), std::string("/\x7f"), std::string("/\xc3\xbc")}) {
        RequestFraming f = good;
        f.target = target;
        BOOST_TEST(refused(f, {}).find("request target") != std::string::npos, "target " << target);
        f = good;
        const std::string host = target.empty() ? target : "h" + target;  // the framing only views it
        f.host = host;
        BOOST_TEST(refused(f, {}).find("the Host") != std::string::npos, "host " << host);
    }
    BOOST_TEST(refused(good, {{"Bad Name", "v"}}) == "header name 'Bad Name' is not a token");
    BOOST_TEST(refused(good, {{"", "v"}}) == "header name '' is not a token");
    BOOST_TEST(refused(good, {{"X-Split", "a\r\nX-Injected: 1"}}) == "value of header 'X-Split' holds a control character");
    BOOST_TEST(refused(good, {{"X-Nul", std::string("a\0b", 3)}}) == "value of header 'X-Nul' holds a control character");
    BOOST_TEST(refused(good, {{"X-Lf", "a\nb"}}) == "value of header 'X-Lf' holds a control character");
    BOOST_TEST(refused(good, {{"X-Del", "a\x7f"}}) == "value of header 'X-Del' holds a control character");
    // A framing field is checked too, though dropped: a caller's bad field is a bug to hear of.
    BOOST_TEST(refused(good, {{"Host", "a\r\nb"}}) == "value of header 'Host' holds a control character");
    // Octets above 0x7f (obs-text) may be sent in a value, as for responses.
    BOOST_TEST(refused(good, {{"X-Text", "caf\xc3\xa9"}}).starts_with("accepted: "));
}

BOOST_AUTO_TEST_CASE(heads_of_any_size) {
    // As for responses: the head is gathered in a 1 KiB buffer on the stack, so a field that fills
    // it at every offset comes out as it went in.
    for (std::size_t length = 940; length <= 1040; ++length) {
        BOOST_TEST_CONTEXT("a value of " << length << " bytes") {
            RequestFraming framing;
            framing.method = "PATCH";
            const std::string target = "/" + std::string(length / 3, 't');
            framing.target = target;
            framing.host = "h";
            framing.content_length = 4;
            const std::string value(length, 'f');
            BOOST_TEST(serialized(framing, {{"X-Fill", value}, {"X-After", "a"}}) ==
                       "PATCH " + target + " HTTP/1.1\r\nHost: h\r\nX-Fill: " + value +
                           "\r\nX-After: a\r\nContent-Length: 4\r\n\r\n");
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
