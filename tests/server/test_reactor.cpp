// The server's event loop on its own: posted tasks, timers, edge-triggered sockets, objects kept
// alive for the events already taken, and ownership; on io_uring, a ring socket's reads and sends.
#include "server/reactor.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

using http::detail::Reactor;
using http::detail::Ring;
using http::detail::Watcher;
using namespace std::chrono_literals;

namespace {

/// A connected pair of non-blocking Unix stream sockets, closed at the end.
struct SocketPair {
    SocketPair() {
        BOOST_REQUIRE_EQUAL(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    }
    ~SocketPair() {
        for (int fd : fds)
            if (fd >= 0)
                ::close(fd);
    }
    void send(char byte) const { BOOST_REQUIRE_EQUAL(::write(fds[1], &byte, 1), 1); }
    int fds[2] = {-1, -1};
};

/// Counts the events that come for it.
struct Counter final : Watcher {
    void on_events(std::uint32_t) override { ++events; }
    int events = 0;
};

/// Runs the reactor on the calling thread until `done` says so (a bounded number of turns).
template <class Done>
bool run_until(Reactor& reactor, const http::detail::Ownership& owner, Done done) {
    for (int turn = 0; turn < 1000 && !done(); ++turn)
        reactor.run_one(owner, 1);
    return done();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(reactor, *boost::unit_test::label("threads"))

BOOST_AUTO_TEST_CASE(a_task_posted_from_another_thread_wakes_a_waiting_loop) {
    Reactor reactor;
    const http::detail::Ownership owner;
    std::promise<std::thread::id> ran_on;
    auto ran = ran_on.get_future();
    std::thread::id loop_id;
    std::thread loop([&] {
        loop_id = std::this_thread::get_id();
        while (reactor.run_one(owner, 1)) {
        }
    });
    std::this_thread::sleep_for(50ms);  // the loop is waiting in epoll_wait by now, with no timer
    reactor.post([&] { ran_on.set_value(std::this_thread::get_id()); });
    const bool woke = ran.wait_for(10s) == std::future_status::ready;
    reactor.finish();
    reactor.post([] {});  // the loop sees it has finished after this
    loop.join();
    BOOST_REQUIRE(woke);
    BOOST_TEST((ran.get() == loop_id));  // on the loop's thread
}

BOOST_AUTO_TEST_CASE(timers_run_in_the_order_of_their_time_not_of_their_setting) {
    Reactor reactor;
    const http::detail::Ownership owner;
    std::vector<int> order;
    reactor.after(60ms, [&] { order.push_back(3); });
    reactor.after(20ms, [&] { order.push_back(1); });
    reactor.after(40ms, [&] { order.push_back(2); });
    const auto started = std::chrono::steady_clock::now();
    BOOST_REQUIRE(run_until(reactor, owner, [&] { return order.size() == 3; }));
    BOOST_TEST(order == (std::vector<int>{1, 2, 3}), boost::test_tools::per_element());
    BOOST_TEST((std::chrono::steady_clock::now() - started >= 60ms));  // none ran early
}

BOOST_AUTO_TEST_CASE(a_finished_loop_returns_once_its_posted_tasks_are_done) {
    Reactor reactor;
    const http::detail::Ownership owner;
    bool ran = false;
    bool timer_ran = false;
    reactor.post([&] { ran = true; });
    reactor.after(1h, [&] { timer_ran = true; });
    reactor.finish();
    BOOST_TEST(reactor.run_one(owner, 1));  // the posted task
    BOOST_TEST(ran);
    BOOST_TEST(!reactor.run_one(owner, 1));  // nothing left but a timer, which is dropped
    BOOST_TEST(!timer_ran);
}

BOOST_AUTO_TEST_CASE(a_thread_that_lost_the_loop_takes_nothing_more_from_it) {
    Reactor reactor;
    http::detail::Ownership owner;
    int ran = 0;
    reactor.post([&] { ++ran; });
    BOOST_TEST(owner.take_over() == 2u);  // a new owner, as the watchdog makes one
    BOOST_TEST(reactor.run_one(owner, 1));  // the old one is told to leave ...
    BOOST_TEST(ran == 0);                   // ... with the task still there
    BOOST_TEST(reactor.run_one(owner, 2));
    BOOST_TEST(ran == 1);
}

BOOST_AUTO_TEST_CASE(the_watchdog_takes_over_only_an_owner_still_in_the_same_application_code) {
    http::detail::Ownership owner;
    std::uint64_t seen = 0;
    BOOST_TEST(owner.held_by(1));
    BOOST_TEST(owner.take_over_if_stalled(seen) == 0u);  // not in application code

    // Out again before the next tick: nothing.
    BOOST_TEST(owner.enter(1));
    BOOST_TEST(owner.take_over_if_stalled(seen) == 0u);
    BOOST_TEST(owner.leave(1));
    BOOST_TEST(owner.take_over_if_stalled(seen) == 0u);

    // Out and in again between two ticks: other application code, nothing either.
    BOOST_TEST(owner.enter(1));
    BOOST_TEST(owner.take_over_if_stalled(seen) == 0u);
    BOOST_TEST(owner.leave(1));
    BOOST_TEST(owner.enter(1));
    BOOST_TEST(owner.take_over_if_stalled(seen) == 0u);

    // Still inside the same one a tick later: taken over. Its return is told so, and only the
    // new generation owns the loop.
    BOOST_TEST(owner.take_over_if_stalled(seen) == 2u);
    BOOST_TEST(!owner.held_by(1));
    BOOST_TEST(owner.held_by(2));
    BOOST_TEST(!owner.leave(1));
    BOOST_TEST(!owner.enter(1));
    BOOST_TEST(owner.take_over_if_stalled(seen) == 0u);  // the new owner is not in application code
    BOOST_TEST(owner.enter(2));
    BOOST_TEST(owner.leave(2));
}

BOOST_AUTO_TEST_CASE(a_takeover_and_a_return_from_application_code_never_both_happen) {
    // The owner enters and leaves as fast as it can while the watchdog ticks as fast as it can:
    // whenever the watchdog takes over, the owner's leave() for that entry says so.
    for (int round = 0; round < 20; ++round) {
        http::detail::Ownership owner;
        std::atomic<bool> taken{false};
        std::atomic<int> lost_returns{0};
        std::thread watchdog([&] {
            std::uint64_t seen = 0;
            for (int tick = 0; tick < 200000 && !taken; ++tick)
                if (owner.take_over_if_stalled(seen) != 0)
                    taken = true;
        });
        for (int i = 0; i < 200000 && !taken; ++i) {
            if (!owner.enter(1))
                break;
            if (!owner.leave(1)) {
                ++lost_returns;
                break;
            }
        }
        watchdog.join();
        // Taken over: the owner found out at the leave() that followed, or at its next enter().
        BOOST_TEST(owner.held_by(taken ? 2u : 1u));
        BOOST_TEST(lost_returns.load() <= 1);
        if (!taken)
            BOOST_TEST(lost_returns.load() == 0);
    }
}

BOOST_AUTO_TEST_CASE(an_edge_triggered_socket_reports_bytes_that_come_after_a_short_read) {
    // What a connection relies on to read only when there is something to read: once a read has
    // come back short, the next bytes bring another event.
    Reactor reactor;
    const http::detail::Ownership owner;
    SocketPair pair;
    Counter counter;
    reactor.watch(pair.fds[0], EPOLLIN | EPOLLRDHUP | EPOLLET, counter);
    pair.send('a');
    BOOST_REQUIRE(run_until(reactor, owner, [&] { return counter.events == 1; }));
    char buffer[16];
    BOOST_REQUIRE_EQUAL(::read(pair.fds[0], buffer, sizeof buffer), 1);  // short: the socket is empty
    pair.send('b');
    BOOST_REQUIRE(run_until(reactor, owner, [&] { return counter.events == 2; }));
    // Forgotten, it reports nothing more.
    reactor.forget(pair.fds[0]);
    pair.send('c');
    bool timed_out = false;
    reactor.after(50ms, [&] { timed_out = true; });
    BOOST_REQUIRE(run_until(reactor, owner, [&] { return timed_out; }));
    BOOST_TEST(counter.events == 2);
}

namespace {

/// On its event, lets go of itself and its partner, as a connection that closes another would:
/// the partner's event, taken from the kernel in the same batch, must still find it.
struct Closer final : Watcher {
    Closer(Reactor& r, std::vector<std::shared_ptr<Closer>>& all, std::vector<int>& log, int i, int socket)
        : reactor(r), owners(all), seen(log), id(i), fd(socket) {}
    ~Closer() { alive = false; }
    void on_events(std::uint32_t) override {
        BOOST_TEST(alive);
        seen.push_back(id);
        for (auto& owner : owners) {
            if (!owner)
                continue;
            reactor.forget(owner->fd);  // as closing a connection's socket does
            reactor.release_later(std::move(owner));
        }
    }
    Reactor& reactor;
    std::vector<std::shared_ptr<Closer>>& owners;
    std::vector<int>& seen;
    int id;
    int fd;
    bool alive = true;
};

}  // namespace

BOOST_AUTO_TEST_CASE(objects_released_by_a_handler_outlive_the_events_already_taken_for_them) {
    Reactor reactor;
    const http::detail::Ownership owner;
    SocketPair first;
    SocketPair second;
    std::vector<std::shared_ptr<Closer>> owners;
    std::vector<int> seen;
    owners.push_back(std::make_shared<Closer>(reactor, owners, seen, 1, first.fds[0]));
    owners.push_back(std::make_shared<Closer>(reactor, owners, seen, 2, second.fds[0]));
    const std::weak_ptr<Closer> one = owners[0];
    const std::weak_ptr<Closer> two = owners[1];
    reactor.watch(first.fds[0], EPOLLIN | EPOLLET, *owners[0]);
    reactor.watch(second.fds[0], EPOLLIN | EPOLLET, *owners[1]);
    first.send('x');
    second.send('y');
    std::this_thread::sleep_for(20ms);  // both ready, so one epoll_wait takes both
    BOOST_REQUIRE(run_until(reactor, owner, [&] { return seen.size() == 2; }));
    BOOST_TEST(!one.expired());  // still held: this batch is being dispatched
    BOOST_TEST(!two.expired());
    bool later = false;
    reactor.post([&] { later = true; });
    BOOST_REQUIRE(run_until(reactor, owner, [&] { return later; }));
    reactor.after(1ms, [] {});
    reactor.run_one(owner, 1);  // between batches: the released objects go
    BOOST_TEST(one.expired());
    BOOST_TEST(two.expired());
}

// A ring socket answers as a non-blocking socket does, through the reactor's mutex.
struct RingSocket {
    RingSocket() {
        std::string why;
        std::unique_ptr<Ring> ring = Ring::open(why);
        if (!ring) {
            BOOST_TEST_MESSAGE("io_uring is not available here (" << why << "): nothing to test");
            return;
        }
        reactor = std::make_unique<Reactor>(std::move(ring));
        slot = reactor->watch_socket(pair.fds[0], watcher);
        BOOST_REQUIRE(slot);
    }
    ~RingSocket() {
        if (reactor)
            reactor->forget(pair.fds[0]);
    }
    SocketPair pair;
    Counter watcher;
    std::unique_ptr<Reactor> reactor;  // null where io_uring is refused
    Ring::Slot* slot = nullptr;
    const http::detail::Ownership owner;
};

BOOST_FIXTURE_TEST_CASE(a_ring_socket_reads_as_a_socket_does, RingSocket) {
    if (!reactor)
        return;
    char buffer[16];
    Ring::Input left = Ring::Input::bytes;
    errno = 0;
    BOOST_TEST(reactor->receive(*slot, buffer, sizeof buffer, left) == -1);  // nothing came yet
    BOOST_TEST(errno == EAGAIN);
    BOOST_TEST((left == Ring::Input::none));
    pair.send('a');
    pair.send('b');
    std::string got;
    for (int turn = 0; turn < 100 && got.size() < 2; ++turn) {
        const ssize_t n = reactor->receive(*slot, buffer, 1, left);  // never more than the room given
        if (n > 0)
            got.append(buffer, static_cast<std::size_t>(n));
        else
            reactor->run_one(owner, 1);
    }
    BOOST_TEST(got == "ab");
    BOOST_TEST((left == Ring::Input::none));
    BOOST_TEST(watcher.events > 0);  // EPOLLIN, as epoll would say
    ::shutdown(pair.fds[1], SHUT_WR);
    BOOST_REQUIRE(run_until(*reactor, owner, [&] { return reactor->input(*slot) == Ring::Input::end; }));
    BOOST_TEST(reactor->receive(*slot, buffer, sizeof buffer, left) == 0);
    BOOST_TEST((left == Ring::Input::end));
}

BOOST_FIXTURE_TEST_CASE(a_ring_send_answers_eagain_then_how_much_went, RingSocket) {
    if (!reactor)
        return;
    std::string hello = "hello";
    const iovec out{hello.data(), hello.size()};
    errno = 0;
    BOOST_TEST(reactor->send(*slot, &out, 1) == -1);  // copied and queued
    BOOST_TEST(errno == EAGAIN);
    hello = "HELLO";  // the copy went, not the caller's buffer
    BOOST_TEST(reactor->send(*slot, &out, 1) == -1);  // still under way: nothing more is queued
    BOOST_REQUIRE(run_until(*reactor, owner, [&] { return watcher.events > 0; }));  // EPOLLOUT
    BOOST_TEST(reactor->send(*slot, &out, 1) == 5);
    char buffer[16];
    BOOST_TEST(::read(pair.fds[1], buffer, sizeof buffer) == 5);
    BOOST_TEST(std::string(buffer, 5) == "hello");
}

BOOST_AUTO_TEST_SUITE_END()
