// StreamState on its own, as a connection drives it: what a streamed body's producers write,
// framed once the head is out (attach), taken in batches, the bound, parking and waking, and
// the end of the body. The end-to-end behaviour is in test_streams.cpp.
#include "server/stream_state.hpp"

#include <http/response.hpp>
#include <http/stream.hpp>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

using http::StreamState;
using Framing = StreamState::Framing;
using Take = StreamState::Take;

namespace {

std::string take_all(StreamState& state) {
    std::string out;
    while (state.take(out) == Take::data) {
    }
    return out;
}

http::detail::StreamContext context(std::size_t bound, bool io_thread) {
    http::detail::StreamContext c;
    c.bound = bound;
    c.on_io_thread = [io_thread] { return io_thread; };
    return c;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(stream_state, *boost::unit_test::label("threads"))

BOOST_AUTO_TEST_CASE(what_the_handler_wrote_first_goes_first_framed_as_chunks) {
    auto state = std::make_shared<StreamState>(true, nullptr);
    BOOST_TEST(state->write("hello"));  // the handler's own writes before the head: its body
    int wakes = 0;
    BOOST_TEST(state->attach(Framing::chunked, 0, [&] { ++wakes; }) == 0u);
    BOOST_TEST(take_all(*state) == "5\r\nhello\r\n");
    state->close();
    std::string out;
    BOOST_TEST((state->take(out) == Take::data));
    BOOST_TEST(out == "0\r\n\r\n");
    BOOST_TEST((state->take(out) == Take::done));
    BOOST_TEST(state->content_bytes() == 5u);
}

BOOST_AUTO_TEST_CASE(a_declared_length_is_kept_to) {
    auto state = std::make_shared<StreamState>(true, nullptr);
    state->write("abcdef");
    // Written before the head beyond the length: cut, and said.
    BOOST_TEST(state->attach(Framing::length, 4, [] {}) == 2u);
    BOOST_TEST(take_all(*state) == "abcd");
    BOOST_TEST(!state->truncated());
    BOOST_CHECK_THROW(state->write("x"), std::length_error);

    auto short_one = std::make_shared<StreamState>(true, nullptr);
    short_one->attach(Framing::length, 10, [] {});
    short_one->write("abc");
    short_one->close();
    take_all(*short_one);
    BOOST_TEST(short_one->truncated());  // the connection cannot be reused after it
}

BOOST_AUTO_TEST_CASE(a_parked_connection_is_woken_once_by_the_next_write) {
    auto state = std::make_shared<StreamState>(true, nullptr);
    std::atomic<int> wakes{0};
    state->attach(Framing::until_close, 0, [&] { ++wakes; });
    BOOST_TEST(state->park());
    BOOST_TEST(state->write("a"));
    BOOST_TEST(state->write("b"));
    BOOST_TEST(wakes.load() == 1);
    BOOST_TEST(!state->park());  // something is pending: no park
    BOOST_TEST(take_all(*state) == "ab");
    BOOST_TEST(state->park());
    BOOST_TEST(state->unpark());
    BOOST_TEST(!state->unpark());
}

BOOST_AUTO_TEST_CASE(on_the_io_thread_past_the_bound_the_client_is_let_go) {
    const auto io = context(8, true);
    auto state = std::make_shared<StreamState>(true, &io);
    state->attach(Framing::until_close, 0, [] {});
    BOOST_TEST(state->write("12345678"));  // at the bound: one write alone always goes
    BOOST_TEST(!state->write("9"));        // past it, on the I/O thread: nothing may wait
    std::string out;
    BOOST_TEST((state->take(out) == Take::abort));
    BOOST_TEST(!state->is_open());
}

BOOST_AUTO_TEST_CASE(an_event_stream_never_waits_for_room) {
    const auto elsewhere = context(8, false);
    auto state = std::make_shared<StreamState>(false, &elsewhere);  // may_wait false: an EventStream
    state->attach(Framing::until_close, 0, [] {});
    BOOST_TEST(state->write("12345678"));
    std::atomic<bool> returned{false};
    std::thread producer([&] {
        BOOST_TEST(!state->write("9"));
        returned = true;
    });
    producer.join();
    BOOST_TEST(returned.load());
}

BOOST_AUTO_TEST_CASE(a_producer_elsewhere_waits_for_the_head_then_for_room) {
    const auto elsewhere = context(4, false);
    auto state = std::make_shared<StreamState>(true, &elsewhere);
    std::atomic<int> written{0};
    std::thread producer([&] {
        for (const char* piece : {"ab", "cd", "ef"})
            if (state->write(piece))
                ++written;
        state->close();
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    BOOST_TEST(written.load() == 0);  // no head yet: the framing is not known
    state->attach(Framing::until_close, 0, [] {});
    std::string body;
    for (int i = 0; i < 1000 && body.size() < 6; ++i) {
        state->take(body);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    producer.join();
    BOOST_TEST(body == "abcdef");
    BOOST_TEST(written.load() == 3);
    std::string rest;
    BOOST_TEST((state->take(rest) == Take::done));
}

BOOST_AUTO_TEST_CASE(a_detached_stream_tells_its_producers_false) {
    auto state = std::make_shared<StreamState>(true, nullptr);
    state->attach(Framing::chunked, 0, [] {});
    state->detach();
    BOOST_TEST(!state->write("late"));
    BOOST_TEST(!state->is_open());
    BOOST_TEST(state->room() == 0u);
}

BOOST_AUTO_TEST_CASE(nothing_is_sent_for_a_head_request) {
    auto state = std::make_shared<StreamState>(true, nullptr);
    state->write("unseen");
    BOOST_TEST(state->attach(Framing::none, 0, [] {}) == 0u);
    std::string out;
    BOOST_TEST((state->take(out) == Take::done));
    BOOST_TEST(out.empty());
    BOOST_TEST(!state->write("more"));
}

BOOST_AUTO_TEST_CASE(a_heartbeat_is_a_comment_while_parked_and_only_then) {
    auto state = std::make_shared<StreamState>(false, nullptr);
    state->set_heartbeat(std::chrono::milliseconds(100));
    int wakes = 0;
    state->attach(Framing::until_close, 0, [&] { ++wakes; });
    BOOST_TEST(!state->heartbeat());  // not parked: what is written goes out anyway
    BOOST_TEST(state->park());
    BOOST_TEST(state->heartbeat());
    BOOST_TEST(wakes == 1);
    BOOST_TEST(take_all(*state) == ":\n\n");
}

BOOST_AUTO_TEST_CASE(a_response_stream_takes_the_server_context_it_was_given_and_none_outside) {
    // Outside a handler: the defaults (1 MiB, no I/O thread).
    http::Response outside;
    http::BodyStream stream = outside.stream();
    BOOST_REQUIRE(outside.stream_state);
    BOOST_TEST(outside.stream_state->room() > 1000u * 1000u);
}

BOOST_AUTO_TEST_SUITE_END()
