// Production behaviour: Unix domain sockets, the shutdown deadline, and accepting when the
// process has run out of descriptors.
#include <http/server.hpp>

#include "support/nginx.hpp"
#include "support/raw_connection.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/resource.h>
#include <sys/un.h>

#include <atomic>
#include <fstream>
#include <future>
#include <thread>

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// A request over a Unix socket, with `extra` header lines (each ending in CRLF); the response's
// body, or "" if none came.
std::string unix_get(const fs::path& socket_path, std::string_view target, std::string_view extra = {}) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    socket_path.native().copy(address.sun_path, sizeof address.sun_path - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        return "";
    }
    const std::string request =
        "GET " + std::string(target) + " HTTP/1.1\r\nHost: local\r\n" + std::string(extra) + "Connection: close\r\n\r\n";
    ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    std::string reply;
    char buffer[4096];
    for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;)
        reply.append(buffer, static_cast<std::size_t>(n));
    ::close(fd);
    const std::size_t body = reply.find("\r\n\r\n");
    return body == std::string::npos ? "" : reply.substr(body + 4);
}

std::size_t open_descriptors() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator("/proc/self/fd"))
        ++n;
    return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(unix_socket)

BOOST_AUTO_TEST_CASE(serves_on_a_unix_socket_and_removes_it) {
    test::TempDir dir;
    const fs::path path = dir.path() / "app.sock";
    {
        test::TestServer server([&](http::Server& s) {
            s.unix_socket = path.string();
            s.on_receive([](http::Request& req, http::Response& res) { res.body = "ip=" + req.ip + " path=" + req.path; });
        });
        BOOST_TEST(fs::is_socket(path));
        BOOST_TEST(server.port() == 0);
        BOOST_TEST(unix_get(path, "/hello") == "ip=unix: path=/hello");
        // curl as a client.
        test::TempDir out;
        const std::string command = "curl -s --unix-socket " + path.string() + " http://local/curl > " + (out.path() / "o").string();
        BOOST_REQUIRE(std::system(command.c_str()) == 0);
        std::ifstream in(out.path() / "o");
        std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        BOOST_TEST(body == "ip=unix: path=/curl");
        // A second server on the same path is refused while this one listens.
        http::Server second(0);
        second.unix_socket = path.string();
        try {
            second.start();
            BOOST_FAIL("a socket in use must not be taken over");
        } catch (const std::system_error& e) {
            BOOST_TEST(std::string(e.what()).find("another server is listening there") != std::string::npos);
        }
    }
    BOOST_TEST(!fs::exists(path));  // removed when the server closed
}

BOOST_AUTO_TEST_CASE(a_stale_socket_is_replaced_and_other_files_are_not) {
    test::TempDir dir;
    const fs::path path = dir.path() / "stale.sock";
    {
        // A socket file whose server is gone (bound, then closed without unlink).
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        path.native().copy(address.sun_path, sizeof address.sun_path - 1);
        BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        ::close(fd);
    }
    BOOST_REQUIRE(fs::is_socket(path));
    {
        test::TestServer server([&](http::Server& s) {
            s.unix_socket = path.string();
            s.on_receive([](http::Request&, http::Response& res) { res.body = "fresh"; });
        });
        BOOST_TEST(unix_get(path, "/") == "fresh");
    }
    const fs::path regular = dir.path() / "regular";
    std::ofstream(regular) << "data";
    http::Server server(0);
    server.unix_socket = regular.string();
    BOOST_CHECK_THROW(server.start(), std::system_error);
    BOOST_TEST(fs::is_regular_file(regular));  // left alone
}

BOOST_AUTO_TEST_CASE(unix_peers_can_be_trusted_proxies) {
    test::TempDir dir;
    const fs::path path = dir.path() / "proxy.sock";
    test::TestServer server([&](http::Server& s) {
        s.unix_socket = path.string();
        s.trusted_proxies = {"unix:"};
        s.on_receive([](http::Request& req, http::Response& res) { res.body = req.ip; });
    });
    BOOST_TEST(unix_get(path, "/", "X-Forwarded-For: 198.51.100.7\r\n") == "198.51.100.7");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(shutdown_deadline, *boost::unit_test::label("threads"))

BOOST_AUTO_TEST_CASE(in_flight_requests_finish_then_the_rest_are_cut) {
    std::atomic<bool> handler_started{false};
    http::Server server(0);
    server.io_threads = 2;
    server.shutdown_timeout = 400ms;
    server.on_receive([&](http::Request& req, http::Response& res) {
        if (req.path == "/slow") {
            handler_started = true;
            std::this_thread::sleep_for(200ms);
        }
        res.body = "done " + req.path;
    });
    server.start();
    // A client in the middle of a head, and one whose request is being handled.
    test::RawConnection stalled(server.port());
    stalled.send("GET /never HTTP/1.1\r\nHost: h\r\n");
    test::RawConnection slow(server.port());
    slow.send(test::get("/slow"));
    while (!handler_started)
        std::this_thread::sleep_for(1ms);
    const auto closed_at = std::chrono::steady_clock::now();
    server.close();
    const auto in_flight = slow.read_response();
    BOOST_TEST(in_flight.body == "done /slow");
    BOOST_TEST(in_flight.header("Connection") == "close");  // sent while draining
    BOOST_TEST(stalled.closed_by_server());  // cut at the deadline
    auto waited = std::async(std::launch::async, [&server] { server.wait(); });
    BOOST_REQUIRE(waited.wait_for(10s) == std::future_status::ready);
    const auto took = std::chrono::steady_clock::now() - closed_at;
    BOOST_TEST((took >= 400ms));  // the deadline was given, not cut short
    BOOST_TEST(!test::port_open(server.port()));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(descriptor_exhaustion)

BOOST_AUTO_TEST_CASE(accepting_pauses_reports_once_and_resumes) {
    test::TestServer server([](http::Server& s) {
        s.io_threads = 1;
        s.on_receive([](http::Request& req, http::Response& res) {
            if (req.path == "/throw")
                throw std::runtime_error("a report");
            res.body = "ok";
        });
    });
    BOOST_TEST(test::exchange(server.port(), test::get("/")).body == "ok");
    // A runtime_error through on_error first: UBSan's vptr check of the hook's what() on one
    // needs descriptors of its own the first time it sees that type (see below), and the
    // report of the accept failure is one.
    BOOST_TEST(test::exchange(server.port(), test::get("/throw")).status == 500);
    BOOST_REQUIRE(server.take_errors().size() == 1u);
    // That connection's close is handled before the limit comes down (see below).
    for (int i = 0; i < 200 && server.server().metrics().find("httpkit_open_connections 0\n") == std::string::npos; ++i)
        std::this_thread::sleep_for(5ms);
    rlimit original{};
    ::getrlimit(RLIMIT_NOFILE, &original);
    // Room for a few connections more: each takes one descriptor here and one in the server.
    rlimit low = original;
    low.rlim_cur = open_descriptors() + 10;
    BOOST_REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
    std::vector<std::unique_ptr<test::RawConnection>> clients;
    try {
        for (int i = 0; i < 20; ++i)
            clients.push_back(std::make_unique<test::RawConnection>(server.port(), 300ms));
    } catch (const std::runtime_error&) {
        // this process is out of descriptors too: enough
    }
    std::this_thread::sleep_for(500ms);  // the server met EMFILE, several times over
    // The limit goes back up before the clients leave: while the process is at its limit, only
    // the accept path runs in the server (UBSan's vptr check needs descriptors of its own for
    // anything it sees for the first time, and the server's handling of a closed connection
    // would be such a thing).
    ::setrlimit(RLIMIT_NOFILE, &original);
    clients.clear();
    // It serves again, and said so once.
    std::string body;
    for (int attempt = 0; attempt < 50 && body != "ok"; ++attempt) {
        const auto r = test::try_exchange(server.port(), test::get("/"));
        body = r ? r->body : "";
        if (body != "ok")
            std::this_thread::sleep_for(50ms);
    }
    BOOST_TEST(body == "ok");
    const auto errors = server.take_errors();
    BOOST_REQUIRE(errors.size() == 1u);
    BOOST_TEST(errors[0].find("accept failed") != std::string::npos);
    BOOST_TEST(errors[0].find("Too many open files") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(graceful_close)

// A keep-alive client may send its next request just as the server begins closing: the request
// is then on its way, and closing the idle connection at once would lose it to a reset. It is
// answered (with Connection: close); a connection that stays idle closes after a short grace.
BOOST_AUTO_TEST_CASE(a_request_sent_as_the_close_begins_is_answered) {
    http::Server server(0);
    server.io_threads = 1;
    server.keep_alive_timeout = 60s;  // so that only the close can end the idle connection
    server.on_receive([](http::Request& req, http::Response& res) { res.body = "done " + req.path; });
    server.start();
    test::RawConnection busy(server.port());
    test::RawConnection idle(server.port());
    for (test::RawConnection* connection : {&busy, &idle}) {
        connection->send(test::get("/first"));
        BOOST_TEST(connection->read_response().body == "done /first");
    }
    server.close();
    std::this_thread::sleep_for(50ms);  // the loop has begun closing: it accepts no more
    BOOST_TEST(!test::port_open(server.port()));
    busy.send(test::get("/second"));
    const auto second = busy.read_response();
    BOOST_TEST(second.body == "done /second");
    BOOST_TEST(second.header("Connection") == "close");
    BOOST_TEST(busy.closed_by_server());
    BOOST_TEST(idle.closed_by_server());
    auto waited = std::async(std::launch::async, [&server] { server.wait(); });
    BOOST_REQUIRE(waited.wait_for(10s) == std::future_status::ready);
}

BOOST_AUTO_TEST_SUITE_END()
