// Blocking handlers, many clients at once, hooks, and closing a busy server.
#include <http/server.hpp>

#include "support/raw_connection.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

namespace {

// Handlers wait on this until the test opens it (or a safety timeout passes).
class Gate {
public:
    void wait() {
        std::unique_lock lock(mutex_);
        ++waiting_;
        changed_.notify_all();
        changed_.wait_for(lock, std::chrono::seconds(20), [this] { return open_; });
    }
    bool wait_for_waiters(int count) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, std::chrono::seconds(20), [&] { return waiting_ >= count; });
    }
    void open() {
        const std::lock_guard lock(mutex_);
        open_ = true;
        changed_.notify_all();
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    int waiting_ = 0;
    bool open_ = false;
};

// How many times this process's thread named `name` has gone to sleep; -1 if there is none.
long sleeps_of_thread(const std::string& name) {
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
        std::ifstream comm(task.path() / "comm");
        std::string thread_name;
        if (!std::getline(comm, thread_name) || thread_name != name)
            continue;
        std::ifstream status(task.path() / "status");
        for (std::string line; std::getline(status, line);)
            if (line.starts_with("voluntary_ctxt_switches:"))
                return std::stol(line.substr(line.find(':') + 1));
    }
    return -1;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(concurrency, *boost::unit_test::label("threads"))

BOOST_AUTO_TEST_CASE(the_watchdog_sleeps_while_no_connection_is_open) {
    // It checks for blocked handlers every blocking_threshold / 2 (2 ms by default) only while
    // there is a connection a handler could be running for.
    test::TestServer server([](http::Server& s) {
        s.on_receive([](http::Request&, http::Response& res) { res.body = "ok"; });
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const long idle_before = sleeps_of_thread("httpkit-watch");
    BOOST_REQUIRE(idle_before >= 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const long idle_wakeups = sleeps_of_thread("httpkit-watch") - idle_before;
    BOOST_TEST(idle_wakeups <= 5);  // about 250 if it ticked all along

    test::RawConnection open(server.port());
    open.send(test::get("/"));
    open.read_response();
    const long busy_before = sleeps_of_thread("httpkit-watch");
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    BOOST_TEST(sleeps_of_thread("httpkit-watch") - busy_before >= 20);  // ticking again
}

BOOST_AUTO_TEST_CASE(blocked_handlers_do_not_stall_other_connections) {
    Gate gate;
    std::atomic<int> blocked_done{0};
    test::TestServer server([&](http::Server& s) {
        s.io_threads = 2;
        s.on_receive([&](http::Request& req, http::Response& res) {
            if (req.path == "/block") {
                gate.wait();  // stands for a slow database call
                ++blocked_done;
            }
            res.body = req.path;
        });
    });
    std::vector<std::future<std::optional<test::RawResponse>>> blocked;
    for (int i = 0; i < 16; ++i)
        blocked.push_back(std::async(std::launch::async, [&] { return test::try_exchange(server.port(), test::get("/block")); }));
    BOOST_REQUIRE(gate.wait_for_waiters(16));  // sixteen handlers blocked at once, on two I/O threads

    const auto quick = test::exchange(server.port(), test::get("/quick"));
    BOOST_TEST(quick.body == "/quick");
    BOOST_TEST(blocked_done == 0);  // answered while all sixteen were still blocked

    gate.open();
    for (auto& f : blocked)
        BOOST_TEST(f.get()->body == "/block");
    BOOST_TEST(blocked_done == 16);
}

BOOST_AUTO_TEST_CASE(many_clients_at_once) {
    test::TestServer server([](http::Server& s) {
        s.on_receive([](http::Request& req, http::Response& res) { res.body = req.path + "|" + req.body; });
    });
    std::vector<std::future<int>> clients;
    for (int t = 0; t < 32; ++t) {
        clients.push_back(std::async(std::launch::async, [&, t] {
            int good = 0;
            test::RawConnection c(server.port());
            for (int i = 0; i < 50; ++i) {
                const std::string path = "/" + std::to_string(t) + "/" + std::to_string(i);
                c.send("POST " + path + " HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nbody");
                const auto r = c.try_read_response();  // not read_response(): no checks off the test's thread
                good += r && r->body == path + "|body";
            }
            return good;
        }));
    }
    for (auto& c : clients)
        BOOST_TEST(c.get() == 50);
}

BOOST_AUTO_TEST_CASE(hooks_run_in_order) {
    std::mutex mutex;
    std::vector<std::string> events;
    auto record = [&](std::string event) {
        const std::lock_guard lock(mutex);
        events.push_back(std::move(event));
    };
    {
        test::TestServer server([&](http::Server& s) {
            s.on_connect([&](const http::ClientInfo& c) { record("connect " + c.ip); });
            s.on_receive([&](http::Request&, http::Response& res) { res.body = "first"; });
            s.on_receive([&](http::Request&, http::Response& res) {
                record("receive " + res.body);  // the second sees what the first did
                res.body += "+second";
            });
            s.on_reply([&](const http::Request& req, const http::Response& res) { record("reply " + req.path + " " + res.body); });
            s.on_disconnect([&](const http::ClientInfo&) { record("disconnect"); });
        });
        test::RawConnection c(server.port());
        c.send(test::get("/x", "Connection: close\r\n"));
        BOOST_TEST(c.read_response().body == "first+second");
        BOOST_TEST(c.closed_by_server());
    }
    const std::vector<std::string> expected{"connect 127.0.0.1", "receive first", "reply /x first+second", "disconnect"};
    BOOST_TEST(events == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(close_finishes_requests_in_flight) {
    Gate gate;
    http::Server server(0);
    server.io_threads = 1;
    server.on_receive([&](http::Request&, http::Response& res) {
        gate.wait();
        res.body = "finished";
    });
    server.start();
    const std::uint16_t port = server.port();
    test::RawConnection busy(port);
    busy.send(test::get("/"));
    test::RawConnection idle(port);
    BOOST_REQUIRE(gate.wait_for_waiters(1));

    std::thread closer([&] { server.close(); });
    BOOST_TEST(idle.closed_by_server());  // idle connections go at once
    gate.open();
    const auto r = busy.read_response();
    BOOST_TEST(r.body == "finished");
    BOOST_TEST(r.header("Connection") == "close");
    server.wait();  // returns once the last request is done
    closer.join();
    BOOST_CHECK_THROW(test::RawConnection refused(port), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(close_is_prompt_whenever_it_comes) {
    // With a 10 ms timeout sweep, close() lands at every point of the sweep's cycle; a sweep that
    // re-armed itself after the loop finished once kept wait() from ever returning. wait() must
    // return (10 s is a hang, not a speed), and then the port accepts nothing more.
    for (int i = 0; i < 150; ++i) {
        http::Server server(0);
        server.io_threads = 1;
        server.keep_alive_timeout = std::chrono::milliseconds(40);
        server.start();
        const std::uint16_t port = server.port();
        if (i % 3 == 0)
            BOOST_TEST(test::exchange(port, test::get("/")).status == 200);
        std::this_thread::sleep_for(std::chrono::microseconds(i * 97 % 12000));
        server.close();
        auto waited = std::async(std::launch::async, [&server] { server.wait(); });
        BOOST_REQUIRE_MESSAGE(waited.wait_for(std::chrono::seconds(10)) == std::future_status::ready,
                              "wait() did not return after close(), round " << i);
        BOOST_REQUIRE_MESSAGE(!test::port_open(port), "still accepting after wait(), round " << i);
    }
}

BOOST_AUTO_TEST_CASE(listen_blocks_until_close) {
    http::Server server(0);
    std::atomic<bool> returned{false};
    std::thread listener([&] {
        server.listen();
        returned = true;
    });
    while (server.port() == 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    BOOST_TEST(test::exchange(server.port(), test::get("/")).status == 200);  // no handler: an empty 200
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    BOOST_TEST(!returned);  // still serving
    server.close();
    listener.join();
    BOOST_TEST(returned);
    BOOST_TEST(!test::port_open(server.port()));
}

BOOST_AUTO_TEST_CASE(port_in_use) {
    test::TestServer first([](http::Server&) {});
    http::Server second(first.port());
    second.reuse_address = false;
    try {
        second.start();
        BOOST_FAIL("binding a port in use must fail");
    } catch (const std::system_error& error) {
        BOOST_TEST(std::string(error.what()).find("cannot listen on 127.0.0.1:" + std::to_string(first.port())) !=
                   std::string::npos);
    }
}

BOOST_AUTO_TEST_SUITE_END()
