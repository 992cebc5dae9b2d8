// The text/event-stream reader, against the HTML standard's rules and examples, fed whole and
// split at every byte.
#include "proto/events/event_parser.hpp"

#include <boost/test/unit_test.hpp>

#include <vector>

using http::Event;
using namespace std::string_view_literals;
using http::detail::EventParser;

namespace {

std::vector<Event> read_all(std::string_view stream, std::size_t piece = 0, std::size_t max_size = 1 << 20) {
    EventParser parser(max_size);
    std::vector<Event> events;
    const auto keep = [&](const Event& e) {
        events.push_back(e);
        return true;
    };
    if (piece == 0) {
        parser.feed(stream, keep);
    } else {
        for (std::size_t at = 0; at < stream.size(); at += piece)
            parser.feed(stream.substr(at, piece), keep);
    }
    return events;
}

std::string render(const std::vector<Event>& events) {
    std::string out;
    for (const Event& e : events)
        out += "[" + e.event + "|" + e.id + "|" + e.data + "]";
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(event_parser)

BOOST_AUTO_TEST_CASE(the_standards_examples) {
    // "data: YHOO / data: +2 / data: 10" is one event whose data has two line feeds.
    BOOST_TEST(render(read_all("data: YHOO\ndata: +2\ndata: 10\n\n")) == "[message||YHOO\n+2\n10]");
    // Comments are dropped; id persists; a trailing event without a blank line is not dispatched.
    const std::string_view stream = ": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n";
    BOOST_TEST(render(read_all(stream)) == "[message|1|first event][message||second event]");
    // "data" alone is an empty data line; two of them make one line feed.
    BOOST_TEST(render(read_all("data\n\ndata\ndata\n\ndata:\n")) == "[message||][message||\n]");
    // Only one space after the colon is dropped.
    BOOST_TEST(render(read_all("data:test\n\ndata: test\n\ndata:  test\n\n")) == "[message||test][message||test][message|| test]");
}

BOOST_AUTO_TEST_CASE(line_ends_and_byte_order_mark) {
    const std::string_view crlf = "\xEF\xBB\xBF" "event: a\r\ndata: 1\r\n\r\nevent: b\rdata: 2\r\rdata: 3\n\n";
    const std::string expected = "[a||1][b||2][message||3]";
    for (std::size_t piece = 0; piece <= 4; ++piece)
        BOOST_TEST(render(read_all(crlf, piece)) == expected, "split every " << piece);
    // Split at every byte, a CR at the end of one piece and LF at the start of the next is one line end.
    BOOST_TEST(render(read_all("data: x\r\n\r\n", 1)) == "[message||x]");
    // A BOM anywhere but the very start is data.
    BOOST_TEST(render(read_all("data: \xEF\xBB\xBFy\n\n")) == "[message||\xEF\xBB\xBFy]");
}

BOOST_AUTO_TEST_CASE(id_retry_and_unknown_fields) {
    EventParser parser(1024);
    std::vector<Event> events;
    parser.feed("retry: 2500\nid: 9\nfoo: bar\nevent: t\n\nretry: soon\nid: a\0b\ndata: z\n\n"
                "retry: 100\nid\n\n"sv, [&](const Event& e) {
        events.push_back(e);
        return true;
    });
    // An event with no data is not dispatched, but its id is kept; an id with NUL is ignored.
    BOOST_TEST(render(events) == "[message|9|z]");
    BOOST_REQUIRE(parser.retry().has_value());
    BOOST_TEST(parser.retry()->count() == 100);  // "soon" is not a number: ignored
    BOOST_TEST(parser.last_event_id().empty());  // "id" alone resets it
}

BOOST_AUTO_TEST_CASE(stopping_and_limits) {
    EventParser parser(64);
    int seen = 0;
    BOOST_TEST(!parser.feed("data: 1\n\ndata: 2\n\ndata: 3\n\n", [&](const Event&) { return ++seen < 2; }));
    BOOST_TEST(seen == 2);
    // At the limit and one past it.
    EventParser bounded(16);
    const auto ignore = [](const Event&) { return true; };
    BOOST_CHECK_NO_THROW(bounded.feed("data: " + std::string(15, 'a') + "\n", ignore));
    BOOST_CHECK_THROW(bounded.feed("data: a\n", ignore), std::length_error);
    EventParser lines(16);
    BOOST_CHECK_THROW(lines.feed(std::string(17, 'x'), ignore), std::length_error);
    // A new connection drops what the old one cut short.
    EventParser restarted(64);
    restarted.feed("data: cut", ignore);
    restarted.restart();
    std::vector<Event> events;
    restarted.feed("data: whole\n\n", [&](const Event& e) {
        events.push_back(e);
        return true;
    });
    BOOST_TEST(render(events) == "[message||whole]");
}

BOOST_AUTO_TEST_SUITE_END()
