// The async client: client.async_* awaited in coroutine handlers, on the handler's own loop
// (epoll and io_uring), and driven with http::run() elsewhere; the same options, redirects,
// retries, cookies, timeouts and typed failures as the blocking calls, which share its core.
#include <http/client.hpp>
#include <http/router.hpp>
#include <http/server.hpp>
#include <http/task.hpp>

#include "support/eventually.hpp"
#include "support/ports.hpp"
#include "support/process.hpp"
#include "support/raw_connection.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using Kind = http::TransportError::Kind;

namespace {

using test::eventually;

std::string query(const http::Request& req, const std::string& name) {
    const auto it = req.queries.find(name);
    return it == req.queries.end() ? std::string() : it->second;
}

// A backend whose /slow requests wait, holding no thread, until the test releases them (or 10 s
// pass, bounded), and count how many wait at once; /cancelled counts the waits cancelled because
// the caller went away.
struct Backend {
    std::atomic<bool> released{false};
    std::atomic<int> in_flight{0};
    std::atomic<int> most_in_flight{0};
    std::atomic<int> cancelled{0};
    std::atomic<int> unavailable_left{0};
    test::TestServer server{[this](http::Server& s) {
        s.io_threads = 1;
        s.on_receive([this](http::Request& req, http::Response& res) -> http::Task<> {
            if (req.path == "/slow") {
                const int now = ++in_flight;
                int most = most_in_flight.load();
                while (now > most && !most_in_flight.compare_exchange_weak(most, now)) {
                }
                bool was_cancelled = false;
                try {
                    for (int i = 0; i < 2000 && !released.load(); ++i)
                        co_await http::sleep_for(5ms);
                } catch (const http::Cancelled&) {
                    was_cancelled = true;
                }
                --in_flight;
                if (was_cancelled) {
                    ++cancelled;
                    throw http::Cancelled();
                }
                res.body = query(req, "id") + (released.load() ? " released" : " never released");
                co_return;
            }
            if (req.path == "/sleep") {
                co_await http::sleep_for(std::chrono::milliseconds(std::stoi(query(req, "ms"))));
                res.body = "slept " + query(req, "ms");
                co_return;
            }
            if (req.path == "/redirect") {
                res.status = http::Status::FOUND;
                res.headers["Location"] = "/final";
                co_return;
            }
            if (req.path == "/unavailable" && unavailable_left.fetch_sub(1) > 0) {
                res.status = http::Status::SERVICE_UNAVAILABLE;
                res.headers["Retry-After"] = "0";
                co_return;
            }
            if (req.path == "/set-cookie") {
                res.headers.add("Set-Cookie", "session=42; Path=/");
                co_return;
            }
            if (req.path == "/missing")
                throw http::NotFound("no such thing");
            res.body = req.method + " " + req.path + " " + std::string(req.headers.get("Cookie", "-")) + " " + req.body;
        });
    }};
    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(server.port()) + path;
    }
};

// The engines this kernel runs: epoll always, io_uring where it is allowed.
std::vector<http::IoEngine> engines() {
    std::vector<http::IoEngine> found{http::IoEngine::epoll};
    http::Server probe(0, "127.0.0.1");
    probe.io_threads = 1;
    probe.io_engine = http::IoEngine::automatic;
    probe.on_receive([](http::Request&, http::Response&) {});
    probe.start();
    if (probe.io_engine_in_use() == http::IoEngine::io_uring)
        found.push_back(http::IoEngine::io_uring);
    probe.close();
    probe.wait();
    return found;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(async_client, *boost::unit_test::label("threads"))

// A gateway with one I/O thread and no spare calls two backends at once from a coroutine
// handler. While both calls wait, the same thread answers another request: the client's I/O is
// on the handler's loop and holds the thread no longer than a plain handler would.
BOOST_AUTO_TEST_CASE(a_handler_awaits_two_backends_at_once_on_its_own_loop) {
    for (const http::IoEngine engine : engines()) {
        BOOST_TEST_CONTEXT("engine " << http::to_string(engine)) {
            Backend backend;
            http::Client client;
            test::TestServer gateway([&](http::Server& s) {
                s.io_threads = 1;
                s.max_threads = 1;  // no thread to hand a blocked loop to
                s.io_engine = engine;
                s.on_receive([&](http::Request& req, http::Response& res) -> http::Task<> {
                    if (req.path == "/ping") {
                        res.body = "pong";
                        co_return;
                    }
                    auto [a, b] = co_await http::when_all(client.async_get(backend.url("/slow?id=a")),
                                                          client.async_get(backend.url("/slow?id=b")));
                    res.body = a.body + " + " + b.body;
                });
            });
            BOOST_REQUIRE(gateway.server().io_engine_in_use() == engine);
            const int threads_before = test::thread_count();
            test::RawConnection fan(gateway.port());
            BOOST_REQUIRE(fan.send(test::get("/fan")));
            BOOST_REQUIRE(eventually([&] { return backend.in_flight.load() == 2; }));
            // Both backend calls wait; the gateway's one thread answers at once.
            const test::RawResponse pong = test::exchange(gateway.port(), test::get("/ping"));
            BOOST_TEST(pong.body == "pong");
            BOOST_TEST(test::thread_count() == threads_before);
            backend.released = true;
            const test::RawResponse merged = fan.read_response();
            BOOST_TEST(merged.status == 200);
            BOOST_TEST(merged.body == "a released + b released");
            BOOST_TEST(backend.most_in_flight.load() == 2);
        }
    }
}

BOOST_AUTO_TEST_CASE(run_drives_the_async_calls_with_the_blocking_calls_options) {
    Backend backend;
    backend.unavailable_left = 1;
    http::Client client;
    client.cookie_jar = std::make_shared<http::CookieJar>();
    client.retries = 1;

    // Redirects followed, as the blocking call does.
    const http::Response redirected = http::run(client.async_get(backend.url("/redirect")));
    BOOST_TEST(redirected.body == "GET /final - ");
    BOOST_TEST(redirected.redirects == 1);
    // A 503 retried after its Retry-After.
    const http::Response retried = http::run(client.async_get(backend.url("/unavailable")));
    BOOST_TEST(retried.status == http::Status::OK);
    BOOST_TEST(backend.unavailable_left.load() < 0);
    // Cookies kept by one response and sent with the next; a body posted.
    http::run(client.async_get(backend.url("/set-cookie")));
    BOOST_TEST(http::run(client.async_post(backend.url("/echo"), "x=1")).body == "POST /echo session=42 x=1");
    BOOST_TEST(http::run(client.async_put(backend.url("/echo"), "y")).body == "PUT /echo session=42 y");
    BOOST_TEST(http::run(client.async_del(backend.url("/echo"))).body == "DELETE /echo session=42 ");
    // The blocking call shares the connection the async ones left in the pool.
    BOOST_TEST(client.get(backend.url("/echo")).body == "GET /echo session=42 ");

    // A 4xx is a response; its typed failure comes from raise_for_status(), through co_await.
    const auto missing = [&]() -> http::Task<int> {
        http::Response r = co_await client.async_get(backend.url("/missing"));
        r.raise_for_status();
        co_return 0;
    };
    BOOST_CHECK_THROW(http::run(missing()), http::NotFound);

    // Transport failures come out of the co_await: a refused connection, a deadline.
    const std::uint16_t closed_port = test::free_ports<1>()[0];
    try {
        http::run(client.async_get("http://127.0.0.1:" + std::to_string(closed_port) + "/"));
        BOOST_ERROR("a refused connection answered");
    } catch (const http::TransportError& e) {
        BOOST_TEST(static_cast<int>(e.kind()) == static_cast<int>(Kind::connect));
    }
    http::Client hurried;
    hurried.timeout = 200ms;
    try {
        http::run(hurried.async_get(backend.url("/sleep?ms=3000")));
        BOOST_ERROR("a request past client.timeout answered");
    } catch (const http::TransportError& e) {
        BOOST_TEST(static_cast<int>(e.kind()) == static_cast<int>(Kind::timeout));
        BOOST_TEST(std::string(e.what()).find("client.timeout") != std::string::npos);
    }
}

// Many requests in flight at once from one Client, on one thread.
BOOST_AUTO_TEST_CASE(many_requests_of_one_client_in_flight_at_once) {
    Backend backend;
    http::Client client;
    constexpr int count = 64;
    std::vector<http::Task<http::Response>> tasks;
    for (int i = 0; i < count; ++i)
        tasks.push_back(client.async_get(backend.url("/sleep?ms=" + std::to_string(100 + i))));
    const std::vector<http::Response> responses = http::run(http::when_all(std::move(tasks)));
    BOOST_REQUIRE(responses.size() == static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i)
        BOOST_TEST(responses[static_cast<std::size_t>(i)].body == "slept " + std::to_string(100 + i));

    // The backend saw them wait together: /slow requests all in flight before any is released.
    std::vector<http::Task<http::Response>> slow;
    for (int i = 0; i < 8; ++i)
        slow.push_back(client.async_get(backend.url("/slow?id=" + std::to_string(i))));
    const auto release_when_all_wait = [&]() -> http::Task<> {
        for (int i = 0; i < 2000 && backend.in_flight.load() < 8; ++i)
            co_await http::sleep_for(5ms);
        backend.released = true;
    };
    auto [answers, released] = http::run(http::when_all(http::when_all(std::move(slow)), release_when_all_wait()));
    BOOST_TEST(backend.most_in_flight.load() == 8);
    for (const http::Response& r : answers)
        BOOST_TEST(r.body.ends_with(" released"));
}

// A gateway's client that goes away cancels the gateway's backend call: its connection to the
// backend closes, which cancels the backend's handler in turn.
BOOST_AUTO_TEST_CASE(a_gateway_whose_client_goes_away_drops_its_backend_call) {
    Backend backend;
    http::Client client;
    std::atomic<int> gateway_cancelled{0};
    test::TestServer gateway([&](http::Server& s) {
        s.io_threads = 1;
        s.on_receive([&](http::Request&, http::Response& res) -> http::Task<> {
            try {
                res.body = (co_await client.async_get(backend.url("/slow?id=c"))).body;
            } catch (const http::Cancelled&) {
                ++gateway_cancelled;
                throw;
            }
        });
    });
    {
        test::RawConnection connection(gateway.port());
        BOOST_REQUIRE(connection.send(test::get("/call")));
        BOOST_REQUIRE(eventually([&] { return backend.in_flight.load() == 1; }));
    }  // the gateway's client goes away
    BOOST_TEST(eventually([&] { return gateway_cancelled.load() == 1; }));
    BOOST_TEST(eventually([&] { return backend.cancelled.load() == 1; }));
    BOOST_TEST(backend.in_flight.load() == 0);
}

// A coroutine handler that blocks its loop (here: 150 ms of computation between two backend
// calls) has the loop taken over by another thread, and goes on running on the old one: its
// next call touches the HTTP/2 connection the other handlers' calls share, while the new owner
// runs those. The connection's state is locked between waits, so that nothing is corrupted
// (ThreadSanitizer runs this suite); every answer is whole, and the handlers ran on more than one
// thread (the takeover happened).
BOOST_AUTO_TEST_CASE(a_loop_taken_over_mid_call_shares_its_http2_connection_safely) {
    Backend backend;
    http::Client client;
    client.http2_prior_knowledge = true;
    std::mutex threads_mutex;
    std::set<std::thread::id> threads;  // where handlers ran
    const auto note_thread = [&] {
        const std::lock_guard lock(threads_mutex);
        threads.insert(std::this_thread::get_id());
    };
    test::TestServer gateway([&](http::Server& s) {
        s.io_threads = 1;
        s.blocking_threshold = 20ms;
        s.on_receive([&](http::Request& req, http::Response& res) -> http::Task<> {
            note_thread();
            std::string body = (co_await client.async_get(backend.url("/sleep?ms=5"))).body;
            if (req.path == "/busy") {
                const auto until = std::chrono::steady_clock::now() + 150ms;
                while (std::chrono::steady_clock::now() < until) {
                }
            }
            for (int i = 0; i < 5; ++i) {
                note_thread();
                body += " " + (co_await client.async_get(backend.url("/sleep?ms=2"))).body;
            }
            note_thread();
            res.body = body;
        });
    });
    std::vector<std::unique_ptr<test::RawConnection>> connections;
    for (int i = 0; i < 16; ++i) {
        connections.push_back(std::make_unique<test::RawConnection>(gateway.port()));
        BOOST_REQUIRE(connections.back()->send(test::get(i == 0 ? "/busy" : "/quick")));
    }
    const std::string expected = "slept 5 slept 2 slept 2 slept 2 slept 2 slept 2";
    for (const auto& connection : connections) {
        const test::RawResponse response = connection->read_response();
        BOOST_TEST(response.status == 200);
        BOOST_TEST(response.body == expected);
    }
    const std::lock_guard lock(threads_mutex);
    BOOST_TEST(threads.size() >= 2u);
}

BOOST_AUTO_TEST_SUITE_END()
