// Http1ServerSession on its own, without a socket: requests in as bytes (whole, and a byte at a
// time), events out; responses in, bytes out; pipelining, keep-alive, 100-continue, limits, and
// when the connection must close.
#include "proto/http1/server_session.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace http::detail;
using State = Http1ServerSession::State;
using Event = Http1ServerSession::Event;

namespace {

struct Read {
    std::vector<Event> events;  // need_input left out
    std::string method, target, host;
    int version_minor = -1;
    std::string content;
    std::string error;
    http::Status status{};
};

// A session over an input the test appends to, as a connection's receive buffer would be.
class Driver {
public:
    explicit Driver(http::detail::HeadRules rules = {}, http::detail::ChunkedLimits limits = {})
        : session(rules, limits) {}

    /// Appends `bytes` in pieces of `step` and reads after each, until an event other than
    /// content or need_input stops it (head, end, error, closed), or the bytes run out.
    Read feed(std::string_view bytes, std::size_t step = SIZE_MAX) {
        Read out;
        std::size_t offset = 0;
        do {
            const std::string_view piece = bytes.substr(offset, step);
            input.append(piece);
            offset += piece.size();
            if (read(out))
                break;
        } while (offset < bytes.size());
        return out;
    }

    /// Reads what the input holds; true when an event that waits for the caller came.
    bool read(Read& out) {
        while (true) {
            std::size_t used = 0;
            const Event event = session.next(input, used, content);
            if (event == Event::need_input)
                return false;
            out.events.push_back(event);
            switch (event) {
            case Event::head: {
                const RequestHead& head = session.head();
                out.method = head.method;
                out.target = head.target;
                out.host = head.host;
                out.version_minor = head.version_minor;
                input.erase(0, used);  // the head's views are done with
                return true;
            }
            case Event::content:
                input.erase(0, used);
                out.content = content;
                continue;
            case Event::end:
                input.erase(0, used);
                out.content = content;
                return true;
            case Event::error:
                out.error = session.error().reason;
                out.status = session.error().status;
                return true;
            case Event::closed:
            case Event::need_input:
                return true;
            }
        }
    }

    std::string respond(const http::Response& response, Http1ServerSession::Shape shape = {}) {
        std::string out;
        session.write_response(response, shape, out);
        return out;
    }

    Http1ServerSession session;
    std::string input;
    std::string content;
};

http::Response text(std::string body) {
    http::Response r;
    r.body = std::move(body);
    return r;
}

bool contains(const std::string& text, std::string_view piece) { return text.find(piece) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(http1_server_session)

BOOST_AUTO_TEST_CASE(a_get_is_a_head_then_a_response_then_idle_again) {
    for (std::size_t step : {std::size_t{1}, std::size_t{7}, SIZE_MAX}) {
        Driver d;
        BOOST_TEST((d.session.state() == State::idle));
        const Read r = d.feed("GET /a?b=1 HTTP/1.1\r\nHost: example.com\r\n\r\n", step);
        BOOST_REQUIRE(r.events.size() == 1u);
        BOOST_TEST((r.events[0] == Event::head));
        BOOST_TEST(r.method == "GET");
        BOOST_TEST(r.target == "/a?b=1");
        BOOST_TEST(r.host == "example.com");
        BOOST_TEST((d.session.state() == State::responding));  // no content: the response is next
        const std::string bytes = d.respond(text("hello"));
        BOOST_TEST(bytes.starts_with("HTTP/1.1 200 OK\r\n"));
        BOOST_TEST(contains(bytes, "Content-Length: 5\r\n"));
        BOOST_TEST(bytes.ends_with("\r\n\r\nhello"));
        BOOST_TEST(!contains(bytes, "Connection:"));
        BOOST_TEST((d.session.state() == State::idle));
        BOOST_TEST(d.session.keep_alive());
    }
}

BOOST_AUTO_TEST_CASE(a_pipelined_request_waits_for_the_response_before_it) {
    Driver d;
    const Read first = d.feed("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n");
    BOOST_TEST(first.target == "/1");
    Read waiting;
    BOOST_TEST(!d.read(waiting));  // the second is not parsed until /1 is answered
    BOOST_TEST(waiting.events.empty());
    d.respond(text("one"));
    Read second;
    BOOST_TEST(d.read(second));
    BOOST_TEST(second.target == "/2");
    BOOST_TEST(d.input.empty());
}

BOOST_AUTO_TEST_CASE(content_is_read_once_admitted_and_split_anywhere) {
    for (std::size_t step : {std::size_t{1}, std::size_t{3}, SIZE_MAX}) {
        Driver d;
        const Read head = d.feed("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", step);
        BOOST_REQUIRE(!head.events.empty());
        BOOST_TEST((head.events.back() == Event::head));
        BOOST_TEST((d.session.state() == State::admitting));
        Read early;
        BOOST_TEST(!d.read(early));  // nothing is read until the content is admitted
        std::string interim;
        d.session.read_content(1000, false, interim);
        BOOST_TEST((d.session.state() == State::content));
        const Read body = d.feed("hello world", step);
        BOOST_REQUIRE(!body.events.empty());
        BOOST_TEST((body.events.back() == Event::end));
        BOOST_TEST(body.content == "hello world");
        BOOST_TEST((d.session.state() == State::responding));
        BOOST_TEST(d.session.content_received() == 11u);
    }
}

BOOST_AUTO_TEST_CASE(content_that_came_with_the_head_is_read_first_and_the_next_request_kept) {
    Driver d;
    d.feed("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nokGET /next HTTP/1.1\r\nHost: h\r\n\r\n");
    std::string interim;
    d.session.read_content(1000, !d.input.empty(), interim);
    Read body;
    BOOST_TEST(d.read(body));
    BOOST_TEST((body.events.back() == Event::end));
    BOOST_TEST(d.content == "ok");
    BOOST_TEST(d.input.starts_with("GET /next"));
    d.respond(text(""));
    Read next;
    BOOST_TEST(d.read(next));
    BOOST_TEST(next.target == "/next");
}

BOOST_AUTO_TEST_CASE(content_arriving_after_the_head_comes_as_content_events_then_the_end) {
    Driver d;
    d.feed("PUT /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
    std::string interim;
    d.session.read_content(1000, false, interim);
    const Read r = d.feed("5\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 7\r\n\r\n", 2);
    BOOST_REQUIRE(!r.events.empty());
    BOOST_TEST((r.events.back() == Event::end));
    BOOST_TEST(r.content == "hello world");
    BOOST_REQUIRE(d.session.trailers().size() == 1u);
    BOOST_TEST(d.session.trailers()[0].name == "X-Sum");
    BOOST_TEST(d.session.trailers()[0].value == "7");
}

BOOST_AUTO_TEST_CASE(expect_100_continue_is_answered_only_when_the_content_is_not_coming_yet) {
    const std::string expecting = "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n";
    {
        Driver d;
        d.feed(expecting);
        std::string interim;
        d.session.read_content(1000, false, interim);
        BOOST_TEST(interim == "HTTP/1.1 100 Continue\r\n\r\n");
    }
    {
        Driver d;
        d.feed(expecting + "ok");
        std::string interim;
        d.session.read_content(1000, !d.input.empty(), interim);
        BOOST_TEST(interim.empty());  // the client did not wait for it
    }
    {
        Driver d;  // HTTP/1.0 must not get one (RFC 9110, Section 10.1.1)
        d.feed("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
        std::string interim;
        d.session.read_content(1000, false, interim);
        BOOST_TEST(interim.empty());
    }
    {
        Driver d;  // refused: no 100, and the content is never read
        d.feed(expecting);
        d.session.refuse();
        BOOST_TEST((d.session.state() == State::responding));
        const std::string bytes = d.respond(text("no"));
        BOOST_TEST(contains(bytes, "Connection: close\r\n"));
        BOOST_TEST((d.session.state() == State::closing));
    }
}

BOOST_AUTO_TEST_CASE(content_past_the_limit_is_an_error_at_the_limit_it_is_not) {
    Driver at;
    at.feed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\n");
    std::string interim;
    at.session.read_content(4, false, interim);
    const Read fits = at.feed("abcd");
    BOOST_TEST((fits.events.back() == Event::end));
    BOOST_TEST(fits.content == "abcd");

    Driver past;
    past.feed("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
    past.session.read_content(4, false, interim);
    const Read over = past.feed("5\r\nabcde\r\n0\r\n\r\n");
    BOOST_TEST((over.events.back() == Event::error));
    BOOST_TEST((over.status == http::Status::CONTENT_TOO_LARGE));
    BOOST_TEST(!past.session.keep_alive());
}

BOOST_AUTO_TEST_CASE(keep_alive_follows_the_version_and_connection_field) {
    struct Case {
        const char* request;
        bool kept;
        const char* announced;  // a Connection field the response must carry, or ""
    };
    const Case cases[] = {
        {"GET / HTTP/1.1\r\nHost: h\r\n\r\n", true, ""},
        {"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false, "Connection: close\r\n"},
        {"GET / HTTP/1.0\r\n\r\n", false, ""},
        {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true, "Connection: keep-alive\r\n"},
    };
    for (const Case& c : cases) {
        Driver d;
        d.feed(c.request);
        const std::string bytes = d.respond(text("x"));
        BOOST_TEST(d.session.keep_alive() == c.kept, c.request);
        BOOST_TEST((d.session.state() == (c.kept ? State::idle : State::closing)), c.request);
        BOOST_TEST(contains(bytes, c.announced), c.request);
    }
}

BOOST_AUTO_TEST_CASE(a_stream_is_chunked_for_http_1_1_and_ends_the_connection_for_http_1_0) {
    Driver one_one;
    one_one.feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    const std::string chunked = one_one.respond(http::Response{}, {std::nullopt, true, false});
    BOOST_TEST(contains(chunked, "Transfer-Encoding: chunked\r\n"));
    BOOST_TEST((one_one.session.state() == State::idle));

    Driver one_zero;
    one_zero.feed("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    const std::string until_close = one_zero.respond(http::Response{}, {std::nullopt, true, true});
    BOOST_TEST(!contains(until_close, "Transfer-Encoding"));
    BOOST_TEST(!contains(until_close, "keep-alive"));
    BOOST_TEST((one_zero.session.state() == State::closing));
}

BOOST_AUTO_TEST_CASE(a_head_request_gets_the_length_but_not_the_content) {
    Driver d;
    d.feed("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n");
    BOOST_TEST(d.session.head_request());
    const std::string bytes = d.respond(text("hello"));
    BOOST_TEST(contains(bytes, "Content-Length: 5\r\n"));
    BOOST_TEST(bytes.ends_with("\r\n\r\n"));
}

BOOST_AUTO_TEST_CASE(a_malformed_request_is_an_error_answered_as_http_1_1_then_closing) {
    Driver d;
    d.feed("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n");
    d.respond(text(""));  // a HEAD before: the error's answer is not framed as one
    const Read r = d.feed("GET / HTTP/1.1\r\nBad Field: x\r\n\r\n");
    BOOST_REQUIRE(!r.events.empty());
    BOOST_TEST((r.events.back() == Event::error));
    BOOST_TEST((r.status == http::Status::BAD_REQUEST));
    BOOST_TEST(!d.session.head_request());
    const std::string bytes = d.respond(text("bad"));
    BOOST_TEST(bytes.ends_with("bad"));
    BOOST_TEST(contains(bytes, "Connection: close\r\n"));
    BOOST_TEST((d.session.state() == State::closing));
}

BOOST_AUTO_TEST_CASE(the_end_of_the_input_inside_a_request_is_an_error_between_requests_a_close) {
    Driver in_head;
    in_head.feed("GET / HTTP/1.1\r\nHo");
    in_head.session.input_ended();
    Read r;
    in_head.read(r);
    BOOST_TEST((r.events.back() == Event::error));
    BOOST_TEST(r.error == "the connection closed before the request was complete");

    Driver in_content;
    in_content.feed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9\r\n\r\nabc");
    std::string interim;
    in_content.session.read_content(100, true, interim);
    Read partial;
    in_content.read(partial);
    in_content.session.input_ended();
    in_content.read(partial);
    BOOST_TEST((partial.events.back() == Event::error));

    Driver between;
    between.feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    between.respond(text("x"));
    between.session.input_ended();
    Read closed;
    between.read(closed);
    BOOST_REQUIRE(closed.events.size() == 1u);
    BOOST_TEST((closed.events[0] == Event::closed));
}

BOOST_AUTO_TEST_CASE(a_full_input_without_a_head_is_431_at_the_limit_and_room_below_it) {
    HeadRules rules;
    rules.max_header_size = 1000;
    Driver d(rules);
    d.feed("GET / HTTP/1.1\r\nHost: h\r\nX-Long: ");
    BOOST_TEST(d.session.input_limit() == 1000u + 4096u);
    BOOST_TEST(!d.session.input_full(d.session.input_limit() - 1));  // grow, then read more
    BOOST_TEST((d.session.state() == State::head));
    BOOST_TEST(d.session.input_full(d.session.input_limit()));
    BOOST_TEST((d.session.error().status == http::Status::REQUEST_HEADER_FIELDS_TOO_LARGE));
    BOOST_TEST((d.session.state() == State::responding));
}

BOOST_AUTO_TEST_CASE(must_close_ends_the_connection_after_the_response_or_at_once_when_idle) {
    Driver idle;
    idle.session.must_close();
    BOOST_TEST((idle.session.state() == State::closing));

    Driver busy;
    busy.feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    busy.session.must_close();
    const std::string bytes = busy.respond(text("last"));
    BOOST_TEST(contains(bytes, "Connection: close\r\n"));
    BOOST_TEST((busy.session.state() == State::closing));
}

BOOST_AUTO_TEST_CASE(a_response_that_cannot_be_written_changes_nothing) {
    Driver d;
    d.feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    http::Response bad;
    bad.headers.add("X-Bad", "a\r\nb");
    std::string out;
    BOOST_CHECK_THROW(d.session.write_response(bad, {}, out), std::invalid_argument);
    BOOST_TEST((d.session.state() == State::responding));
    const std::string bytes = d.respond(text("fine"));
    BOOST_TEST(bytes.starts_with("HTTP/1.1 200 OK\r\n"));
    BOOST_TEST((d.session.state() == State::idle));
}

BOOST_AUTO_TEST_SUITE_END()
