// Coroutines: http::Task and its friends on their own (http::run), then coroutine handlers and
// middleware on a server over real sockets (HTTP/1.1 and HTTP/2), holding no thread while they
// wait, and cancelled when their client goes away.
#include <http/router.hpp>
#include <http/server.hpp>
#include <http/task.hpp>
#include <http/testing.hpp>

#include "support/eventually.hpp"
#include "support/h2_frames.hpp"
#include "support/process.hpp"
#include "support/raw_connection.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

using test::eventually;

http::Task<int> add_later(int a, int b, std::chrono::milliseconds delay) {
    co_await http::sleep_for(delay);
    co_return a + b;
}

http::Task<> record(std::vector<std::string>& log, std::string name, std::chrono::milliseconds delay) {
    log.push_back(name + " begins");
    co_await http::sleep_for(delay);
    log.push_back(name + " ends");
}

http::Task<> fail_after(std::chrono::milliseconds delay, std::string what) {
    co_await http::sleep_for(delay);
    throw http::NotFound(what);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tasks)

BOOST_AUTO_TEST_CASE(run_gives_the_result_and_a_task_is_lazy) {
    bool started = false;
    // (A lambda coroutine's captures live in the lambda: it must outlive the task.)
    const auto make = [&]() -> http::Task<std::string> {
        started = true;
        co_await http::sleep_for(1ms);
        co_return std::string("done");
    };
    http::Task<std::string> task = make();
    BOOST_TEST(!started);  // nothing runs before it is awaited or run
    BOOST_TEST(http::run(std::move(task)) == "done");
    BOOST_TEST(started);
    BOOST_TEST(http::run(add_later(2, 3, 0ms)) == 5);
}

BOOST_AUTO_TEST_CASE(typed_failures_come_out_of_co_await_and_run) {
    auto outer = []() -> http::Task<std::string> {
        try {
            co_await fail_after(1ms, "no such note");
        } catch (const http::NotFound& failure) {
            co_return std::string("caught: ") + failure.what();
        }
        co_return std::string("not thrown");
    };
    BOOST_TEST(http::run(outer()) == "caught: no such note");
    BOOST_CHECK_THROW(http::run(fail_after(1ms, "x")), http::NotFound);
    BOOST_CHECK_THROW(http::run(fail_after(1ms, "x")), http::ClientError);
}

BOOST_AUTO_TEST_CASE(when_all_interleaves_its_tasks_and_keeps_their_order) {
    std::vector<std::string> log;
    auto both = [&]() -> http::Task<int> {
        // a waits longer than b: b ends first, while a still waits.
        auto [nothing, sum] = co_await http::when_all(record(log, "a", 60ms), add_later(20, 22, 1ms));
        static_assert(std::is_same_v<decltype(nothing), std::monostate>);
        co_await http::when_all(record(log, "c", 40ms), record(log, "d", 1ms));
        co_return sum;
    };
    BOOST_TEST(http::run(both()) == 42);
    const std::vector<std::string> expected{"a begins", "a ends", "c begins", "d begins", "d ends", "c ends"};
    BOOST_TEST(log == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(when_all_of_a_vector_and_the_first_exception_in_order) {
    std::vector<http::Task<int>> tasks;
    for (int i = 0; i < 50; ++i)
        tasks.push_back(add_later(i, 1, std::chrono::milliseconds(50 - i)));
    const std::vector<int> sums = http::run(http::when_all(std::move(tasks)));
    BOOST_REQUIRE_EQUAL(sums.size(), 50U);
    for (int i = 0; i < 50; ++i)
        BOOST_TEST(sums[static_cast<std::size_t>(i)] == i + 1);

    // Both fail; the second fails first. All end before the exception, which is the first's.
    std::atomic<bool> third_ended{false};
    auto third = [&]() -> http::Task<> {
        co_await http::sleep_for(30ms);
        third_ended = true;
    };
    try {
        http::run(http::when_all(fail_after(20ms, "first"), fail_after(1ms, "second"), third()));
        BOOST_ERROR("when_all did not throw");
    } catch (const http::NotFound& failure) {
        BOOST_TEST(std::string(failure.what()) == "first");
    }
    BOOST_TEST(third_ended.load());
}

BOOST_AUTO_TEST_CASE(an_empty_task_is_done_and_a_moved_task_runs_once) {
    auto awaits_nothing = []() -> http::Task<int> {
        co_await http::Task<>();
        co_await http::sleep_for(0ms);  // a yield
        co_return 7;
    };
    http::Task<int> a = awaits_nothing();
    http::Task<int> b = std::move(a);
    BOOST_TEST(http::run(std::move(b)) == 7);
    BOOST_CHECK_THROW(http::run(std::move(a)), std::logic_error);  // moved from: no coroutine
}

// Counts its live copies.
struct Counted {
    static inline std::atomic<int> alive{0};
    Counted() { ++alive; }
    Counted(const Counted&) { ++alive; }
    ~Counted() { --alive; }
};

http::Task<int> take_counted(Counted, std::string text, const Counted&) {
    co_await http::sleep_for(1ms);
    co_return static_cast<int>(text.size());
}

// Arguments made in a co_await expression live across its wait and are destroyed once. (Not a
// std::function made there: GCC 12 destroys that twice, which is why the library names its own
// before awaiting; see the README.)
BOOST_AUTO_TEST_CASE(temporaries_of_a_co_await_expression_are_destroyed_once) {
    const auto awaits = []() -> http::Task<int> {
        const int a = co_await take_counted(Counted{}, std::string(100, 'a'), Counted{});
        auto [b, c] = co_await http::when_all(take_counted(Counted{}, "bb", Counted{}), take_counted(Counted{}, "c", Counted{}));
        co_return a + b + c;
    };
    BOOST_TEST(http::run(awaits()) == 103);
    BOOST_TEST(Counted::alive.load() == 0);
}

// A result larger than a few words (a Response, a big struct) is made on the heap when its
// coroutine returns: a coroutine suspended before that holds a pointer in its promise, not room for
// the result. It is made once, moved out once, and freed with the task, whether taken or not.
struct Big {
    static inline std::atomic<int> alive{0};
    char bytes[512] = {};
    std::string text;
    explicit Big(std::string t) : text(std::move(t)) { ++alive; }
    Big(Big&& other) noexcept : text(std::move(other.text)) { ++alive; }
    Big(const Big&) = delete;
    ~Big() { --alive; }
};

BOOST_AUTO_TEST_CASE(a_large_result_is_held_by_pointer_until_the_coroutine_returns) {
    static_assert(sizeof(http::detail::Promise<Big>) < sizeof(Big));
    static_assert(sizeof(http::detail::Promise<http::Response>) < sizeof(http::Response));
    static_assert(!http::detail::boxed_result<int>);  // small ones stay in place
    const auto make = []() -> http::Task<Big> {
        co_await http::sleep_for(1ms);
        co_return Big("made");
    };
    const auto awaits = [&]() -> http::Task<std::size_t> {
        const Big big = co_await make();
        BOOST_TEST(Big::alive.load() == 1);  // the heap copy went with its task
        co_return big.text.size();
    };
    BOOST_TEST(http::run(awaits()) == 4u);
    BOOST_TEST(Big::alive.load() == 0);
    {
        const auto make_now = []() -> http::Task<Big> { co_return Big("now"); };
        http::Task<Big> never_taken = make_now();
        http::detail::TaskAccess::start(never_taken);  // returns at once; its result is never taken
        BOOST_TEST(http::detail::TaskAccess::done(never_taken));
        BOOST_TEST(Big::alive.load() == 1);
    }
    BOOST_TEST(Big::alive.load() == 0);
    BOOST_TEST(http::run(make()).text == "made");  // taken by run()
    BOOST_TEST(Big::alive.load() == 0);
}

// A coroutine's frame, freed, is what the thread's next frame of its size is made in: a request
// makes and frees several each time, without the allocator. (Not under AddressSanitizer, where
// frames go to the allocator as they are, for a use after free to be caught.)
BOOST_AUTO_TEST_CASE(a_freed_frame_is_reused_by_the_next_of_its_size) {
    if (!http::detail::recycles_frames) {
        BOOST_TEST_MESSAGE("frames are not recycled under AddressSanitizer");
        return;
    }
    const auto make = [](int n) -> http::Task<int> { co_return n; };
    const void* first = nullptr;
    {
        http::Task<int> task = make(1);
        first = http::detail::TaskAccess::handle(task).address();
        BOOST_TEST(http::run(std::move(task)) == 1);
    }
    http::Task<int> again = make(2);
    BOOST_TEST(http::detail::TaskAccess::handle(again).address() == first);
    BOOST_TEST(http::run(std::move(again)) == 2);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(coroutine_handlers, *boost::unit_test::label("threads"))

BOOST_AUTO_TEST_CASE(a_coroutine_route_answers_and_its_failure_is_a_problem) {
    http::Router router;
    router.get("/sum/{a}/{b}", [](http::Request& req, http::Response& res) -> http::Task<> {
        const int sum = co_await add_later(req.param<int>("a"), req.param<int>("b"), 5ms);
        res.body = std::to_string(sum);
    });
    router.get("/missing", [](http::Request&, http::Response&) -> http::Task<> {
        co_await http::sleep_for(5ms);
        throw http::NotFound("no such thing, after a wait");
    });
    router.get("/plain", [](http::Request&, http::Response& res) { res.body = "plain"; });
    test::TestServer server([&](http::Server& s) { s.on_receive(router); });

    test::RawConnection connection(server.port());
    BOOST_REQUIRE(connection.send(test::get("/sum/20/22") + test::get("/missing") + test::get("/plain")));
    const test::RawResponse sum = connection.read_response();
    BOOST_TEST(sum.status == 200);
    BOOST_TEST(sum.body == "42");
    const test::RawResponse missing = connection.read_response();  // pipelined: in order
    BOOST_TEST(missing.status == 404);
    BOOST_TEST(missing.header("Content-Type") == "application/problem+json");
    BOOST_TEST(missing.body.find("no such thing, after a wait") != std::string::npos);
    BOOST_TEST(connection.read_response().body == "plain");

    // The same router through TestClient: driven to the end, no socket.
    http::TestClient client(router);
    BOOST_TEST(client.get("/sum/1/2").body == "3");
    BOOST_TEST(static_cast<int>(client.get("/missing").status) == 404);
}

BOOST_AUTO_TEST_CASE(suspended_handlers_hold_no_thread_and_the_loop_goes_on) {
    constexpr int clients = 200;
    std::atomic<int> ended{0};
    std::atomic<int> ended_when_plain_answered{-1};
    test::TestServer server([&](http::Server& s) {
        s.io_threads = 1;
        // A loop slowed by a loaded machine (ThreadSanitizer makes it ten times slower) would
        // have the watchdog add a thread; the threads counted here are those waiting would take.
        s.blocking_threshold = 2s;
        s.on_receive([&](http::Request& req, http::Response& res) -> http::Task<> {
            if (req.path == "/plain") {
                ended_when_plain_answered = ended.load();
                res.body = "plain";
                co_return;
            }
            co_await http::sleep_for(1500ms);
            ++ended;
            res.body = "slow";
        });
    });
    const int threads_before = test::thread_count();
    std::vector<std::unique_ptr<test::RawConnection>> connections;
    for (int i = 0; i < clients; ++i) {
        connections.push_back(std::make_unique<test::RawConnection>(server.port()));
        BOOST_REQUIRE(connections.back()->send(test::get("/slow")));
    }
    // While the 200 wait, the one loop thread answers another request at once.
    const test::RawResponse plain = test::exchange(server.port(), test::get("/plain"));
    BOOST_TEST(plain.body == "plain");
    BOOST_TEST(ended_when_plain_answered.load() == 0);
    BOOST_TEST(test::thread_count() == threads_before);  // no thread was added for the waiting handlers
    for (auto& connection : connections)
        BOOST_TEST(connection->read_response().body == "slow");
    BOOST_TEST(ended.load() == clients);
}

BOOST_AUTO_TEST_CASE(a_client_that_goes_away_cancels_the_handlers_awaits) {
    std::atomic<int> cancelled{0};
    std::atomic<int> began{0};
    std::atomic<bool> awaited_after{false};
    test::TestServer server([&](http::Server& s) {
        s.on_receive([&](http::Request&, http::Response& res) -> http::Task<> {
            ++began;
            bool was_cancelled = false;
            try {
                co_await http::when_all(http::sleep_for(30s), http::sleep_for(20s));
            } catch (const http::Cancelled&) {
                was_cancelled = true;  // (no co_await in a handler)
            }
            if (!was_cancelled) {
                res.body = "not reached";
                co_return;
            }
            ++cancelled;
            try {
                co_await http::sleep_for(10s);  // refused at once: the client is gone
            } catch (const http::Cancelled&) {
                awaited_after = true;
                throw;
            }
        });
    });
    {
        test::RawConnection connection(server.port());
        BOOST_REQUIRE(connection.send(test::get("/wait")));
        BOOST_REQUIRE(eventually([&] { return began.load() == 1; }));
    }  // closed
    BOOST_TEST(eventually([&] { return cancelled.load() == 1; }));
    BOOST_TEST(awaited_after.load());

    // HTTP/2: a stream the client resets is cancelled; the connection goes on.
    test::RawConnection h2(server.port());
    BOOST_REQUIRE(h2.send(test::h2::preface + test::h2::frame(4, 0, 0) +
                          test::h2::frame(1, 0x5, 1, test::h2::get_root)));  // HEADERS, END_STREAM | END_HEADERS
    BOOST_REQUIRE(eventually([&] { return began.load() == 2; }));
    BOOST_REQUIRE(h2.send(test::h2::frame(3, 0, 1, test::h2::u32(8))));  // RST_STREAM CANCEL
    BOOST_TEST(eventually([&] { return cancelled.load() == 2; }));
    // And a connection that closes with a stream waiting.
    BOOST_REQUIRE(h2.send(test::h2::frame(1, 0x5, 3, test::h2::get_root)));
    BOOST_REQUIRE(eventually([&] { return began.load() == 3; }));
    ::shutdown(h2.fd(), SHUT_RDWR);
    BOOST_TEST(eventually([&] { return cancelled.load() == 3; }));
}

BOOST_AUTO_TEST_CASE(coroutine_middleware_wraps_the_rest_and_plain_middleware_runs_before_it) {
    http::Router router;
    router.use([](http::Request&, http::Response& res, const std::function<void()>& next) {
        res.headers.set("X-Plain", "before");
        next();
    });
    router.use([](http::Request&, http::Response& res, std::function<http::Task<>()> next) -> http::Task<> {
        const auto began = std::chrono::steady_clock::now();
        co_await next();  // the handler's waits included
        res.headers.set("X-After", res.body.empty() ? "empty" : "saw " + res.body);
        res.headers.set("X-Waited", std::chrono::steady_clock::now() - began >= 10ms ? "yes" : "no");
    });
    router.get("/a", [](http::Request&, http::Response& res) -> http::Task<> {
        co_await http::sleep_for(10ms);
        res.body = "a";
    });
    router.get("/b", [](http::Request&, http::Response& res) { res.body = "b"; });
    router.get("/fails", [](http::Request&, http::Response&) -> http::Task<> {
        co_await http::sleep_for(1ms);
        throw http::Conflict("taken");
    });
    test::TestServer server([&](http::Server& s) { s.on_receive(router); });
    const test::RawResponse a = test::exchange(server.port(), test::get("/a"));
    BOOST_TEST(a.body == "a");
    BOOST_TEST(a.header("X-Plain") == "before");
    BOOST_TEST(a.header("X-After") == "saw a");
    BOOST_TEST(a.header("X-Waited") == "yes");
    const test::RawResponse b = test::exchange(server.port(), test::get("/b"));
    BOOST_TEST(b.header("X-After") == "saw b");
    const test::RawResponse fails = test::exchange(server.port(), test::get("/fails"));
    BOOST_TEST(fails.status == 409);
    BOOST_TEST(fails.header("X-Plain") == "before");  // what was set before the failure stays
    const test::RawResponse none = test::exchange(server.port(), test::get("/none"));
    BOOST_TEST(none.status == 404);
    BOOST_TEST(none.header("X-After") == "<absent>");  // the failure came out of co_await next()
}

BOOST_AUTO_TEST_CASE(nghttp_and_curl_get_a_coroutines_answer_over_h2c_and_http1) {
    http::Router router;
    router.get("/both", [](http::Request& req, http::Response& res) -> http::Task<> {
        auto [a, b] = co_await http::when_all(add_later(1, 2, 20ms), add_later(3, 4, 10ms));
        res.body = req.queries["n"] + ":" + std::to_string(a) + "," + std::to_string(b) + "\n";
    });
    test::TestServer server([&](http::Server& s) { s.on_receive(router); });
    const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/both";
    int status = 0;
    // Three streams at once on one HTTP/2 connection (h2c by prior knowledge), all waiting together.
    const std::string h2 = test::run("nghttp -n -v '" + url + "?n=1' '" + url + "?n=2' '" + url + "?n=3' 2>&1", status);
    BOOST_TEST(status == 0);
    std::size_t answers = 0;
    for (std::size_t at = h2.find(":status: 200"); at != std::string::npos; at = h2.find(":status: 200", at + 1))
        ++answers;
    BOOST_TEST(answers == 3U);
    BOOST_TEST(test::run("nghttp '" + url + "?n=h2' 2>&1", status) == "h2:3,7\n");
    BOOST_TEST(test::run("curl -sS --max-time 20 --http1.1 '" + url + "?n=h1' 2>&1", status) == "h1:3,7\n");
}

BOOST_AUTO_TEST_CASE(a_resumed_handler_that_blocks_is_handed_off_by_the_watchdog) {
    std::atomic<int> answered{0};
    test::TestServer server([&](http::Server& s) {
        s.io_threads = 1;
        s.blocking_threshold = 5ms;
        s.on_receive([&](http::Request& req, http::Response& res) -> http::Task<> {
            if (req.path == "/blocks") {
                co_await http::sleep_for(1ms);
                std::this_thread::sleep_for(200ms);  // blocking, after a resumption
                co_await http::sleep_for(1ms);
            }
            res.body = req.path;
            ++answered;
        });
    });
    test::RawConnection blocking(server.port());
    BOOST_REQUIRE(blocking.send(test::get("/blocks")));
    // Others are answered meanwhile, by the thread that took the loop over.
    for (int i = 0; i < 5; ++i)
        BOOST_TEST(test::exchange(server.port(), test::get("/quick")).body == "/quick");
    BOOST_TEST(blocking.read_response().body == "/blocks");
    BOOST_TEST(answered.load() == 6);
}

BOOST_AUTO_TEST_CASE(the_shutdown_deadline_cancels_a_waiting_handler) {
    std::atomic<bool> cancelled{false};
    std::atomic<bool> began{false};
    auto server = std::make_unique<test::TestServer>([&](http::Server& s) {
        s.shutdown_timeout = 100ms;
        s.on_receive([&](http::Request&, http::Response&) -> http::Task<> {
            began = true;
            try {
                co_await http::sleep_for(60s);
            } catch (const http::Cancelled&) {
                cancelled = true;
                throw;
            }
        });
    });
    test::RawConnection connection(server->port());
    BOOST_REQUIRE(connection.send(test::get("/wait")));
    BOOST_REQUIRE(eventually([&] { return began.load(); }));
    server.reset();  // close() and wait(): the deadline passes, the handler is cancelled
    BOOST_TEST(cancelled.load());
}

BOOST_AUTO_TEST_SUITE_END()
