// HTTP/2 on the server: h2c by prior knowledge and h2 by ALPN with curl, the same handlers and
// failures as HTTP/1.1, limits on a stream, timeouts, graceful close. The attacks are in
// tests/examples/test_http2.py, against httpkit-echo.
#include "support/process.hpp"
#include "support/raw_connection.hpp"
#include "support/test_server.hpp"
#include "support/tls_client.hpp"

#include <http/router.hpp>
#include <http/stream.hpp>

#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

namespace {

using test::TestCertificates;

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

std::string curl(const std::string& arguments, int& status) {
    return test::run("curl -sS --max-time 20 " + arguments + " 2>&1", status);
}

std::string h2c(const test::TestServer& server, const std::string& path) {
    return "--http2-prior-knowledge http://127.0.0.1:" + std::to_string(server.port()) + path;
}

// A frame: 24-bit length, type, flags, stream.
std::string frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream, std::string_view payload = {}) {
    std::string out;
    out += static_cast<char>(payload.size() >> 16);
    out += static_cast<char>(payload.size() >> 8);
    out += static_cast<char>(payload.size());
    out += static_cast<char>(type);
    out += static_cast<char>(flags);
    for (int shift = 24; shift >= 0; shift -= 8)
        out += static_cast<char>(stream >> shift);
    out += payload;
    return out;
}

// GET / for localhost, in HPACK: :method GET, :scheme http, :path / (static table), :authority.
const std::string get_root = std::string("\x82\x86\x84\x01\x09localhost", 14);
const std::string preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(http2, *boost::unit_test::label("threads"))

BOOST_AUTO_TEST_CASE(curl_speaks_h2c_and_h2_to_the_same_handlers) {
    const auto handler = [](http::Request& req, http::Response& res) {
        res.body = req.http_version + " " + req.scheme + " " + req.method + " " + req.path + " " + req.queries["q"];
    };
    test::TestServer plain([&](http::Server& s) { s.on_receive(handler); });
    int status = 0;
    BOOST_TEST(curl(h2c(plain, "/x?q=1"), status) == "2 http GET /x 1");
    BOOST_TEST(status == 0);
    BOOST_TEST(curl("-d a=b " + h2c(plain, "/form"), status) == "2 http POST /form ");

    test::TestServer tls([&](http::Server& s) {
        s.tls_certificate = TestCertificates::get().pem("localhost");
        s.tls_private_key = TestCertificates::get().key("localhost");
        s.on_receive(handler);
    });
    const std::string url = "https://localhost:" + std::to_string(tls.port()) + "/y";
    const std::string ca = "--cacert " + TestCertificates::get().pem("ca") + " ";
    BOOST_TEST(curl(ca + "-w ' %{http_version}' " + url, status) == "2 https GET /y  2");
    BOOST_TEST(curl(ca + "--http1.1 " + url, status) == "1.1 https GET /y ");
    test::TlsClient client(tls.port(), {.alpn = {"h2", "http/1.1"}});
    BOOST_REQUIRE_MESSAGE(client.handshake(), client.error());
    BOOST_TEST(client.alpn() == "h2");
}

// The response head goes to nghttp2 from storage the connection keeps between responses: names
// in lower case, values as set, more fields than its 32 in place, nothing of the response before.
// nghttp sends both requests on one connection (curl 7.88 cannot reuse one it opened by prior
// knowledge: it fails the second request with nginx too). A stream's response, once sent, is
// the I/O thread's spare for the next: the next connection's bare response has none of it.
BOOST_AUTO_TEST_CASE(each_response_head_is_its_own_in_lower_case) {
    test::TestServer server([](http::Server& s) {
        s.io_threads = 1;  // both connections on one thread, and its spares
        s.on_receive([](http::Request& req, http::Response& res) {
            if (req.path == "/bare") {
                res.body = "bare!";
                return;
            }
            const int count = req.path == "/many" ? 40 : 1;
            for (int i = 0; i < count; ++i)
                res.headers.set("X-Field-" + std::to_string(i), "value " + std::to_string(i) + std::string(40, 'v'));
            res.cookies.push_back("a=" + std::string(30, 'c'));
            res.status = req.path == "/many" ? http::Status::IM_A_TEAPOT : http::Status::ACCEPTED;
            res.body = req.path;
        });
    });
    const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
    // "[  0.001] recv (stream_id=13) x-field-0: value 0vvv...": each stream's fields.
    auto fields_of = [](const std::string& urls) {
        int status = 0;
        const std::string out = test::run("nghttp -nv " + urls + " 2>&1", status);
        BOOST_TEST(status == 0, out);
        std::map<std::string, std::vector<std::string>> fields;
        std::istringstream lines(out);
        for (std::string line; std::getline(lines, line);) {
            const std::size_t at = line.find("recv (stream_id=");
            const std::size_t close = line.find(") ", at);
            if (at != std::string::npos && close != std::string::npos)
                fields[line.substr(at + 16, close - at - 16)].push_back(line.substr(close + 2));
        }
        return fields;
    };
    std::vector<std::string> many, few;
    for (const auto& [stream, list] : fields_of(base + "/many " + base + "/few")) {
        if (!list.empty() && list.front() == ":status: 418")
            many = list;
        else if (!list.empty() && list.front() == ":status: 202")
            few = list;
    }
    BOOST_REQUIRE(!many.empty());
    BOOST_REQUIRE(!few.empty());
    auto has = [](const std::vector<std::string>& list, const std::string& field) {
        return std::find(list.begin(), list.end(), field) != list.end();
    };
    BOOST_TEST(many.size() == 1u + 1 + 40 + 1 + 2);  // :status, date, the 40, set-cookie, content-type and -length
    for (int i = 0; i < 40; ++i)
        BOOST_TEST(has(many, "x-field-" + std::to_string(i) + ": value " + std::to_string(i) + std::string(40, 'v')),
                   "x-field-" << i);
    BOOST_TEST(has(many, "set-cookie: a=" + std::string(30, 'c')));
    BOOST_TEST(has(many, "content-length: 5"));
    BOOST_TEST(few.size() == 1u + 1 + 1 + 1 + 2);
    BOOST_TEST(has(few, "x-field-0: value 0" + std::string(40, 'v')));
    BOOST_TEST(has(few, "content-length: 4"));

    const auto bare = fields_of(base + "/bare");
    BOOST_REQUIRE(bare.size() == 1u);
    const std::vector<std::string>& list = bare.begin()->second;
    BOOST_TEST(list.size() == 4u);  // :status, date, content-type, content-length
    BOOST_TEST(has(list, ":status: 200"));
    BOOST_TEST(has(list, "content-type: text/plain; charset=utf-8"));
    BOOST_TEST(has(list, "content-length: 5"));
}

BOOST_AUTO_TEST_CASE(a_failure_is_the_same_problem_over_both_versions) {
    test::TestServer server([](http::Server& s) {
        s.on_receive([](http::Request&, http::Response&) { throw http::Conflict("the version is stale"); });
    });
    int status = 0;
    const std::string format = "-w '|%{http_code}|%{content_type}' ";
    const std::string two = curl(format + h2c(server, "/"), status);
    const std::string one = curl(format + "http://127.0.0.1:" + std::to_string(server.port()) + "/", status);
    BOOST_TEST(contains(two, "the version is stale"), two);
    BOOST_TEST(contains(two, "|409|application/problem+json"), two);
    BOOST_TEST(two == one);
}

BOOST_AUTO_TEST_CASE(limits_answer_on_the_stream) {
    test::TestServer server([](http::Server& s) {
        s.max_body_size = 1000;
        s.max_request_target = 100;
        s.on_receive(test::echo_path);
    });
    int status = 0;
    const std::string format = "-o /dev/null -w '%{http_code}' ";
    BOOST_TEST(curl(format + "-d " + std::string(1000, 'x') + " " + h2c(server, "/up"), status) == "200");
    BOOST_TEST(curl(format + "-d " + std::string(1001, 'x') + " " + h2c(server, "/up"), status) == "413");
    BOOST_TEST(curl(format + h2c(server, "/" + std::string(99, 'p')), status) == "200");  // 100 with the '/'
    BOOST_TEST(curl(format + h2c(server, "/" + std::string(100, 'p')), status) == "414");
}

BOOST_AUTO_TEST_CASE(a_multipart_upload_is_parsed_as_it_comes_and_bounded_by_max_body_size) {
    // The same exchange as HTTP/1.1: the parts are parsed as the DATA frames arrive, and the
    // whole upload counts against max_body_size (its files would otherwise go to disk unbounded).
    test::TestServer server([](http::Server& s) {
        s.max_body_size = 4096;
        s.on_receive([](http::Request& req, http::Response& res) {
            const auto file = req.files.find("f");
            res.body = req.form["name"] + " " + (file == req.files.end() ? "-" : std::to_string(file->second.size));
        });
    });
    const auto dir = std::filesystem::temp_directory_path() / ("httpkit-h2-multipart-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    {
        std::ofstream(dir / "small.bin") << std::string(3000, 's');
        std::ofstream(dir / "large.bin") << std::string(5000, 'l');
    }
    int status = 0;
    const std::string format = "-w '|%{http_code}' ";
    BOOST_TEST(curl(format + "-F name=ada -F f=@" + (dir / "small.bin").string() + " " + h2c(server, "/up"), status) ==
               "ada 3000|200");
    const std::string over = curl(format + "-F name=ada -F f=@" + (dir / "large.bin").string() + " " + h2c(server, "/up"),
                                  status);
    BOOST_TEST(contains(over, "|413"), over);
    std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(a_body_refused_as_it_comes_gets_413_then_rst_stream) {
    test::TestServer server([](http::Server& s) {
        s.max_body_size = 1000;
        s.on_receive(test::echo_path);
    });
    test::RawConnection connection(server.port());
    // POST / without Content-Length, then 1,001 bytes of DATA, the stream left open.
    const std::string post = std::string("\x83\x86\x84\x01\x09localhost", 14);
    connection.send(preface + frame(4, 0, 0) + frame(1, 0x4, 1, post) + frame(0, 0, 1, std::string(1001, 'd')));
    std::string received;
    const std::string reset = frame(3, 0, 1, std::string(4, '\0'));  // RST_STREAM, NO_ERROR
    for (int reads = 0; reads < 50 && !contains(received, reset); ++reads) {
        connection.send(frame(0, 0, 1, std::string(100, 'd')));  // the client keeps sending
        const std::string more = connection.read_some();
        if (more.empty())
            break;
        received += more;
    }
    BOOST_TEST(contains(received, "\"status\":413"));
    BOOST_REQUIRE(contains(received, reset));
    BOOST_TEST(received.find("\"status\":413") < received.find(reset));  // the answer first
}

BOOST_AUTO_TEST_CASE(a_large_body_refused_before_it_comes_is_reset_without_waiting_for_more) {
    // Content-Length 1,000,000 over a limit of 1,000: 413 at once, then RST_STREAM NO_ERROR, both
    // before the client sends another byte (the reset used to wait for the client's next frame).
    test::TestServer server([](http::Server& s) {
        s.max_body_size = 1000;
        s.on_receive(test::echo_path);
    });
    test::RawConnection connection(server.port());
    const std::string post = std::string("\x83\x86\x84\x01\x09localhost", 14) + std::string("\x0f\x0d\x07" "1000000", 10);
    connection.send(preface + frame(4, 0, 0) + frame(1, 0x4, 1, post));
    const std::string reset = frame(3, 0, 1, std::string(4, '\0'));  // RST_STREAM, NO_ERROR
    std::string received;
    for (int reads = 0; reads < 50 && !contains(received, reset); ++reads) {
        const std::string more = connection.read_some();  // nothing sent meanwhile
        if (more.empty())
            break;
        received += more;
    }
    BOOST_TEST(contains(received, "\"status\":413"));
    BOOST_REQUIRE(contains(received, reset));
    BOOST_TEST(received.find("\"status\":413") < received.find(reset));
}

BOOST_AUTO_TEST_CASE(a_small_body_refused_before_it_comes_is_let_finish) {
    // Content-Length 1,001 over a limit of 1,000: 413 at once, before any DATA. The rest fits the
    // stream's initial window, so a reset would stop nothing; curl 7.88 takes such a reset, come
    // before its body is sent, for a failure (error 92) and never shows the 413.
    test::TestServer server([](http::Server& s) {
        s.max_body_size = 1000;
        s.on_receive(test::echo_path);
    });
    test::RawConnection connection(server.port());
    // POST / with content-length (static table 28, a literal not indexed): 1001.
    const std::string post = std::string("\x83\x86\x84\x01\x09localhost", 14) + std::string("\x0f\x0d\x04" "1001", 7);
    connection.send(preface + frame(4, 0, 0) + frame(1, 0x4, 1, post));
    std::string received;
    for (int reads = 0; reads < 50 && !contains(received, "\"status\":413"); ++reads) {
        const std::string more = connection.read_some();
        if (more.empty())
            break;
        received += more;
    }
    BOOST_REQUIRE(contains(received, "\"status\":413"));
    // The body, then a PING: its ACK comes after whatever the server makes of the body.
    const std::string ping_ack = frame(6, 0x1, 0, "httpkit!");
    connection.send(frame(0, 0x1, 1, std::string(1001, 'd')) + frame(6, 0, 0, "httpkit!"));
    for (int reads = 0; reads < 50 && !contains(received, ping_ack); ++reads) {
        const std::string more = connection.read_some();
        if (more.empty())
            break;
        received += more;
    }
    BOOST_REQUIRE(contains(received, ping_ack));
    BOOST_TEST(!contains(received, frame(3, 0, 1, std::string(4, '\0')).substr(0, 9)));  // no RST_STREAM on stream 1
}

BOOST_AUTO_TEST_CASE(bodies_files_and_streams_cross_intact) {
    test::TempDir dir;
    std::string file(3 * 1024 * 1024 + 5, '\0');
    for (std::size_t i = 0; i < file.size(); ++i)
        file[i] = static_cast<char>(i * 7 + i / 1000);
    std::ofstream(dir.path() / "data.bin", std::ios::binary) << file;
    test::TestServer server([&](http::Server& s) {
        http::Router router;
        router.files("/files", dir.path().string());
        router.get("/stream", [](http::Request&, http::Response& res) {
            http::BodyStream out = res.stream();
            out.on_drain([left = std::size_t{4 << 20}](http::BodyStream& body) mutable {
                while (left > 0 && body.room() > 0) {
                    const std::size_t n = std::min({left, body.room(), std::size_t{3000}});
                    body.write(std::string(n, 's'));
                    left -= n;
                }
                if (left == 0)
                    body.close();
            });
        });
        s.on_receive(router);
    });
    int status = 0;
    const std::string copy = (dir.path() / "copy.bin").string();
    BOOST_TEST(curl("-o " + copy + " -w '%{http_code}' " + h2c(server, "/files/data.bin"), status) == "200");
    std::ifstream in(copy, std::ios::binary);
    const std::string received((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    BOOST_TEST((received == file));
    BOOST_TEST(curl("-r 10-19 " + h2c(server, "/files/data.bin"), status) == file.substr(10, 10));
    BOOST_TEST(curl("-o /dev/null -w '%{size_download}' " + h2c(server, "/stream"), status) == std::to_string(4 << 20));
}

BOOST_AUTO_TEST_CASE(event_streams_keep_their_heartbeat) {
    std::mutex mutex;
    std::vector<http::EventStream> open;  // kept open until the server closes
    test::TestServer server([&](http::Server& s) {
        s.on_receive([&](http::Request&, http::Response& res) {
            http::EventStream events(res, std::chrono::milliseconds(100));
            events.send("first");
            const std::lock_guard lock(mutex);
            open.push_back(events);
        });
    });
    int status = 0;
    const std::string out = curl("--max-time 1 " + h2c(server, "/"), status);  // curl ends it
    BOOST_TEST(contains(out, "data: first\n\n"), out);
    BOOST_TEST(contains(out, ":\n\n"), out);  // a heartbeat comment after 100 ms of quiet
}

BOOST_AUTO_TEST_CASE(a_window_held_at_zero_is_closed_after_write_timeout) {
    test::TestServer server([](http::Server& s) {
        s.write_timeout = std::chrono::milliseconds(300);
        s.on_receive([](http::Request&, http::Response& res) { res.body = std::string(100000, 'z'); });
    });
    test::RawConnection connection(server.port());
    // SETTINGS_INITIAL_WINDOW_SIZE (4) = 0: the server may send no DATA on any stream.
    connection.send(preface + frame(4, 0, 0, std::string("\x00\x04\x00\x00\x00\x00", 6)) +
                    frame(1, 0x5, 1, get_root));
    const std::string received = connection.read_until_close();
    BOOST_TEST(received.size() < 1000);  // the head and the connection's frames, none of the body
    BOOST_TEST(contains(received, frame(7, 0, 0).substr(3, 2)));  // a GOAWAY frame's type and flags
}

BOOST_AUTO_TEST_CASE(an_idle_connection_gets_goaway_after_keep_alive_timeout) {
    test::TestServer server([](http::Server& s) {
        s.keep_alive_timeout = std::chrono::milliseconds(200);
        s.on_receive(test::echo_path);
    });
    test::RawConnection connection(server.port());
    connection.send(preface + frame(4, 0, 0) + frame(1, 0x5, 1, get_root));
    const std::string received = connection.read_until_close();
    BOOST_TEST(contains(received, "GET /"));
    // GOAWAY, last stream 1, NO_ERROR.
    BOOST_TEST(contains(received, frame(7, 0, 0, std::string("\x00\x00\x00\x01\x00\x00\x00\x00", 8))));
}

BOOST_AUTO_TEST_CASE(close_sends_goaway_and_finishes_the_streams_begun) {
    test::TestServer server([](http::Server& s) {
        s.on_receive([](http::Request&, http::Response& res) {
            std::this_thread::sleep_for(std::chrono::milliseconds(400));
            res.body = "finished";
        });
    });
    // Not test::run: Boost.Test's checkpoints are for the test's own thread.
    auto answer = std::async(std::launch::async, [command = "curl -sS --max-time 20 " + h2c(server, "/slow")] {
        std::string out;
        if (FILE* pipe = ::popen(command.c_str(), "r")) {
            char buffer[256];
            for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
                out.append(buffer, n);
            ::pclose(pipe);
        }
        return out;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    server.server().close();
    BOOST_TEST(answer.get() == "finished");
}

// A client that shuts its side after its last bytes is answered and let go at once, not after
// keep_alive_timeout: the end comes in the same edge as those bytes, and no other edge follows.
BOOST_AUTO_TEST_CASE(a_client_that_shuts_its_side_is_let_go_at_once) {
    test::TestServer server([](http::Server& s) {
        s.keep_alive_timeout = std::chrono::seconds(60);  // longer than the reads below wait
        s.on_receive(test::echo_path);
    });
    const auto closed = [](test::RawConnection& connection) {
        char byte;
        return ::recv(connection.fd(), &byte, 1, MSG_DONTWAIT) == 0;  // the end, not EAGAIN
    };
    {
        test::RawConnection http1(server.port());
        http1.send("GET /one HTTP/1.1\r\nHost: h\r\n\r\n");
        http1.shutdown_send();
        BOOST_TEST(contains(http1.read_until_close(), "GET /one"));
        BOOST_TEST(closed(http1));
    }
    {
        test::RawConnection h2(server.port());
        h2.send(preface + frame(4, 0, 0) + frame(1, 0x5, 1, get_root));
        h2.shutdown_send();
        BOOST_TEST(contains(h2.read_until_close(), "GET /"));
        BOOST_TEST(closed(h2));
    }
}

// The frames a connection received, read one at a time: (type, stream).
std::vector<std::pair<int, std::uint32_t>> frames_of(std::string_view bytes) {
    std::vector<std::pair<int, std::uint32_t>> out;
    while (bytes.size() >= 9) {
        const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(bytes[i]); };
        const std::size_t length = std::size_t{byte(0)} << 16 | std::size_t{byte(1)} << 8 | byte(2);
        if (bytes.size() < 9 + length)
            break;
        const std::uint32_t stream =
            (std::uint32_t{byte(5)} << 24 | std::uint32_t{byte(6)} << 16 | std::uint32_t{byte(7)} << 8 | byte(8)) &
            0x7fffffff;
        out.emplace_back(byte(3), stream);
        bytes.remove_prefix(9 + length);
    }
    return out;
}

BOOST_AUTO_TEST_CASE(a_blocking_handler_holds_up_no_other_stream_of_its_connection) {
    // Stream 1's handler blocks until the test has stream 3's answer (or, if the connection
    // cannot answer stream 3 while stream 1's handler runs, for 10 s, and the test fails).
    std::mutex mutex;
    std::condition_variable released;
    bool release = false, released_by_the_test = false;
    test::TestServer server([&](http::Server& s) {
        s.on_receive([&](http::Request& req, http::Response& res) {
            if (req.path == "/slow") {
                std::unique_lock lock(mutex);
                released_by_the_test = released.wait_for(lock, std::chrono::seconds(10), [&] { return release; });
            }
            res.body = req.path;
        });
    });
    test::RawConnection connection(server.port());
    // HEADERS on stream 1 for /slow, then on stream 3 for /fast (:path as a literal).
    const std::string slow = std::string("\x82\x86\x04\x05/slow\x01\x09localhost", 20);
    const std::string fast = std::string("\x82\x86\x04\x05/fast\x01\x09localhost", 20);
    connection.send(preface + frame(4, 0, 0) + frame(1, 0x5, 1, slow) + frame(1, 0x5, 3, fast));
    std::string received;
    const auto has_headers_on = [&](std::uint32_t stream) {
        for (const auto& [type, id] : frames_of(received))
            if (type == 1 && id == stream)
                return true;
        return false;
    };
    while (!has_headers_on(3) && !has_headers_on(1)) {
        const std::string more = connection.read_some();
        BOOST_REQUIRE_MESSAGE(!more.empty(), "no response came");
        received += more;
    }
    BOOST_TEST(has_headers_on(3));   // the fast stream's answer first
    BOOST_TEST(!has_headers_on(1));  // while the slow one's handler still runs
    {
        const std::lock_guard lock(mutex);
        release = true;
    }
    released.notify_all();
    while (!has_headers_on(1)) {
        const std::string more = connection.read_some();
        BOOST_REQUIRE_MESSAGE(!more.empty(), "the slow stream was never answered");
        received += more;
    }
    BOOST_TEST(contains(received, "/slow"));
    const std::lock_guard lock(mutex);
    BOOST_TEST(released_by_the_test);
}

BOOST_AUTO_TEST_CASE(http2_can_be_turned_off) {
    test::TestServer plain([](http::Server& s) {
        s.http2 = false;
        s.on_receive(test::echo_path);
    });
    int status = 0;
    curl(h2c(plain, "/"), status);
    BOOST_TEST(status != 0);  // the preface is no HTTP/1.1 request
    test::TestServer tls([](http::Server& s) {
        s.http2 = false;
        s.tls_certificate = TestCertificates::get().pem("localhost");
        s.tls_private_key = TestCertificates::get().key("localhost");
        s.on_receive(test::echo_path);
    });
    BOOST_TEST(curl("--cacert " + TestCertificates::get().pem("ca") + " -w ' %{http_version}' https://localhost:" +
                        std::to_string(tls.port()) + "/",
                    status) == "GET / 1.1");
}

BOOST_AUTO_TEST_SUITE_END()
