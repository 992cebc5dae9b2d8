// The client's HTTP/2 protocol core (Http2ClientSession) on real loopback sockets, driven by a
// small blocking loop here: against this library's server (h2c by prior knowledge), against nginx
// (h2c), and against raw servers that write the frames a test wants, right or wrong.
#include "client/http2_session.hpp"

#include "support/h2_frames.hpp"
#include "support/nginx.hpp"
#include "support/raw_server.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace {

using http::detail::Http2ClientSession;
using http::detail::Http2ClientStream;
using http::detail::NetFailure;
using Kind = http::TransportError::Kind;
namespace h2 = test::h2;

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// A session on a connection to 127.0.0.1:`port`, and the loop that drives it: it writes what the
// session has to send, reads what comes and hands it over, and takes every stream's body as it
// arrives (so that windows open again), until what the test waits for has happened.
class Driver {
public:
    explicit Driver(std::uint16_t port, http::detail::Http2ClientLimits limits = {}) : session(limits) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        BOOST_REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        const int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
    }
    ~Driver() { ::close(fd_); }
    Driver(const Driver&) = delete;
    Driver& operator=(const Driver&) = delete;

    std::int32_t get(const std::string& path, const http::Headers& fields = {}) {
        return session.submit("GET", "http", "127.0.0.1", path, fields);
    }

    /// Steps until `done()`; false if the connection ended, or nothing moved for 10 s, first
    /// (a stall, never a measure: the tests assert on what came, not on when).
    bool run_until(const std::function<bool()>& done) {
        while (!done()) {
            const std::string_view out = session.output();
            short events = 0;
            if (!eof_ && session.want_read())
                events |= POLLIN;
            if (!out.empty() && !eof_)
                events |= POLLOUT;
            if (events == 0)
                return done();
            pollfd p{fd_, events, 0};
            if (::poll(&p, 1, 10000) <= 0)
                return false;
            if (p.revents & POLLOUT) {
                const ssize_t n = ::send(fd_, out.data(), out.size(), MSG_NOSIGNAL);
                if (n > 0)
                    session.written(static_cast<std::size_t>(n));
                else if (errno != EAGAIN)
                    end();
            }
            if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
                char buffer[32 * 1024];
                const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
                if (n > 0) {
                    try {
                        session.receive(std::string_view(buffer, static_cast<std::size_t>(n)));
                    } catch (const NetFailure& e) {
                        thrown = e;
                    }
                } else if (n == 0 || errno != EAGAIN) {
                    end();
                }
            }
            for (const std::int32_t id : session.changed()) {
                if (!held.contains(id))
                    bodies[id] += session.take_body(id);
                ++changes[id];
            }
        }
        return true;
    }

    /// Steps until every stream in `ids` has a whole response or a failure.
    bool run_until_finished(const std::vector<std::int32_t>& ids) {
        return run_until([&] {
            for (const std::int32_t id : ids)
                if (!session.find(id)->finished())
                    return false;
            return true;
        });
    }

    const Http2ClientStream& stream(std::int32_t id) {
        const Http2ClientStream* s = session.find(id);
        BOOST_REQUIRE(s != nullptr);
        return *s;
    }

    Http2ClientSession session;
    std::map<std::int32_t, std::string> bodies;  // each stream's body, taken as it came
    std::map<std::int32_t, int> changes;         // how often changed() named each stream
    std::set<std::int32_t> held;                 // streams whose bodies are left untaken
    std::optional<NetFailure> thrown;            // what receive() threw

private:
    void end() {
        eof_ = true;
        session.end_of_input();
    }

    int fd_ = -1;
    bool eof_ = false;
};

// `size` bytes that do not compress and differ at every offset that matters.
std::string random_bytes(std::size_t size, unsigned seed) {
    std::mt19937_64 random(seed);
    std::string out(size, '\0');
    for (std::size_t i = 0; i + 8 <= size; i += 8) {
        const std::uint64_t r = random();
        std::memcpy(out.data() + i, &r, 8);
    }
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http2_session_with_server, *boost::unit_test::label("threads"))

BOOST_AUTO_TEST_CASE(get_with_fields_the_connection_specific_ones_dropped) {
    test::TestServer server([](http::Server& s) {
        s.on_receive([](http::Request& req, http::Response& res) {
            res.headers.set("X-Seen", std::string(req.headers.get("x-test")));
            res.body = req.method + " " + req.path + " " + req.http_version + " " + req.host + " " +
                       std::to_string(req.headers.contains("connection")) +
                       std::to_string(req.headers.contains("keep-alive")) +
                       std::to_string(req.headers.contains("transfer-encoding")) +
                       std::to_string(req.headers.contains("upgrade")) + " te=" + std::string(req.headers.get("te"));
        });
    });
    Driver driver(server.port());
    BOOST_TEST(driver.session.settings_received() == false);
    const std::int32_t id = driver.get("/hello?a=1", {{"X-Test", "yes"},
                                                      {"Connection", "keep-alive"},
                                                      {"Keep-Alive", "timeout=5"},
                                                      {"Host", "elsewhere"},
                                                      {"Transfer-Encoding", "chunked"},
                                                      {"Upgrade", "websocket"},
                                                      {"TE", "gzip"}});  // HTTP/2 carries TE: trailers only
    BOOST_TEST(id == 1);
    BOOST_TEST(driver.session.open_streams() == 1U);
    BOOST_REQUIRE(driver.run_until_finished({id}));
    const Http2ClientStream& s = driver.stream(id);
    BOOST_TEST(driver.session.settings_received());
    BOOST_TEST(!s.failure.has_value());
    BOOST_TEST(s.ended);
    BOOST_TEST(s.status == 200);
    BOOST_TEST(s.headers.get("x-seen") == "yes");
    BOOST_TEST(s.headers.get("content-type") == "text/plain; charset=utf-8");
    BOOST_TEST(driver.bodies[id] == "GET /hello 2 127.0.0.1 0000 te=");
    BOOST_TEST(s.body_received == driver.bodies[id].size());
    BOOST_TEST(driver.session.open_streams() == 0U);
    BOOST_TEST(driver.session.can_open());

    // Without an authority, the Host field is :authority; TE: trailers goes out.
    const std::int32_t hosted =
        driver.session.submit("GET", "http", "", "/h", {{"Host", "example.test:8080"}, {"TE", "trailers"}});
    BOOST_REQUIRE(driver.run_until_finished({hosted}));
    BOOST_TEST(driver.bodies[hosted] == "GET /h 2 example.test:8080 0000 te=trailers");
}

BOOST_AUTO_TEST_CASE(post_with_a_body_and_one_sent_in_parts) {
    test::TestServer server([](http::Server& s) {
        s.on_receive([](http::Request& req, http::Response& res) {
            res.status = http::CREATED;
            res.body = req.method + " " + std::string(req.headers.get("content-length", "none")) + " " + req.body;
        });
    });
    Driver driver(server.port());
    const std::string body = "name=ada&lang=c%2B%2B";
    const std::int32_t whole = driver.session.submit("POST", "http", "127.0.0.1", "/items",
                                                     {{"Content-Type", "application/x-www-form-urlencoded"},
                                                      {"Content-Length", "999"}},  // the session's own goes out
                                                     body);
    const std::int32_t parts = driver.session.submit("PUT", "http", "127.0.0.1", "/items/1", {}, "first,", false);
    BOOST_REQUIRE(driver.run_until([&] { return driver.stream(parts).body_received > 0 || driver.stream(whole).finished(); }));
    BOOST_TEST(!driver.stream(parts).finished());  // the server waits for the rest
    driver.session.send_body(parts, "second,", false);
    driver.session.send_body(parts, "third", true);
    BOOST_REQUIRE(driver.run_until_finished({whole, parts}));
    BOOST_TEST(driver.stream(whole).status == 201);
    BOOST_TEST(driver.bodies[whole] == "POST " + std::to_string(body.size()) + " " + body);
    BOOST_TEST(driver.stream(parts).status == 201);
    BOOST_TEST(driver.bodies[parts] == "PUT none first,second,third");
    BOOST_TEST(driver.stream(parts).upload_done);
}

// A body given a part at a time with its length announced (how upload() streams a file): each
// time what was given has gone out, changed() names the stream, so that its request gives the next.
BOOST_AUTO_TEST_CASE(a_body_in_parts_with_its_length_asks_for_each_part) {
    test::TestServer server([](http::Server& s) {
        s.on_receive([](http::Request& req, http::Response& res) {
            res.body = req.method + " " + std::string(req.headers.get("content-length", "none")) + " " + req.body;
        });
    });
    Driver driver(server.port());
    const std::int32_t id = driver.session.submit("PUT", "http", "127.0.0.1", "/f", {}, "first,", false, 16);
    BOOST_REQUIRE(driver.run_until([&] { return driver.changes[id] > 0; }));
    BOOST_TEST(driver.stream(id).upload.empty());  // gone out: the stream asks for more
    BOOST_TEST(!driver.stream(id).finished());
    driver.session.send_body(id, "second,", false);
    BOOST_REQUIRE(driver.run_until([&] { return driver.changes[id] > 1; }));
    BOOST_TEST(driver.stream(id).upload.empty());
    driver.session.send_body(id, "end", true);
    BOOST_REQUIRE(driver.run_until_finished({id}));
    BOOST_TEST(driver.stream(id).status == 200);
    BOOST_TEST(driver.bodies[id] == "PUT 16 first,second,end");
    BOOST_TEST(driver.stream(id).upload_done);
}

BOOST_AUTO_TEST_CASE(concurrent_streams_on_one_connection) {
    test::TestServer server([&](http::Server& s) {
        s.on_receive([](http::Request& req, http::Response& res) { res.body = "stream for " + req.path; });
    });
    Driver driver(server.port());
    std::vector<std::int32_t> ids;
    for (int i = 0; i < 20; ++i)
        ids.push_back(driver.get("/n/" + std::to_string(i)));
    BOOST_TEST(driver.session.open_streams() == 20U);
    BOOST_REQUIRE(driver.run_until_finished(ids));
    for (int i = 0; i < 20; ++i) {
        const std::int32_t id = ids[static_cast<std::size_t>(i)];
        BOOST_TEST(id == 2 * i + 1);
        BOOST_TEST(driver.stream(id).status == 200);
        BOOST_TEST(driver.bodies[id] == "stream for /n/" + std::to_string(i));
    }
    BOOST_TEST(driver.session.open_streams() == 0U);
    // The server's own bound (SETTINGS_MAX_CONCURRENT_STREAMS 100) is kept, and ours.
    std::size_t opened = 0;
    while (driver.session.can_open()) {
        driver.get("/many");
        ++opened;
    }
    BOOST_TEST(opened == http::detail::http2_max_streams);
}

BOOST_AUTO_TEST_CASE(large_bodies_both_ways_flow_as_the_caller_takes_them) {
    const std::string download = random_bytes(6 * 1024 * 1024 + 123, 1);
    const std::string upload = random_bytes(5 * 1024 * 1024 + 7, 2);
    test::TestServer server([&](http::Server& s) {
        s.max_body_size = 16 * 1024 * 1024;
        s.on_receive([&](http::Request& req, http::Response& res) {
            if (req.method == "GET")
                res.body = download;
            else
                res.body = req.body == upload ? "same" : "differs: " + std::to_string(req.body.size());
        });
    });
    // Windows much smaller than the bodies: they flow only if the session opens them again.
    Driver driver(server.port(), {.initial_window_size = 256 * 1024, .connection_window_size = 512 * 1024});
    const std::int32_t down = driver.get("/large");
    const std::int32_t up = driver.session.submit("POST", "http", "127.0.0.1", "/large", {}, upload);
    BOOST_REQUIRE(driver.run_until_finished({down, up}));
    BOOST_TEST(driver.stream(down).status == 200);
    BOOST_TEST(driver.bodies[down].size() == download.size());
    BOOST_TEST((driver.bodies[down] == download));
    BOOST_TEST(driver.stream(down).headers.get("content-length") == std::to_string(download.size()));
    BOOST_TEST(driver.bodies[up] == "same");
    BOOST_TEST(driver.changes[down] > 10);  // it came in many pieces, each taken as it came
}

BOOST_AUTO_TEST_CASE(a_body_left_untaken_stops_its_stream_and_release_gives_the_window_back) {
    const std::string large = random_bytes(2 * 1024 * 1024, 4);
    test::TestServer server([&](http::Server& s) {
        s.on_receive([&](http::Request&, http::Response& res) { res.body = large; });
    });
    constexpr std::uint32_t window = 128 * 1024;  // the stream's and the connection's alike
    Driver driver(server.port(), {.initial_window_size = window, .connection_window_size = window});
    const std::int32_t held = driver.get("/held");
    driver.held.insert(held);
    // The server sends one window and stops: nothing is taken, nothing opens it again.
    BOOST_REQUIRE(driver.run_until([&] { return driver.stream(held).body.size() == window; }));
    BOOST_TEST(driver.stream(held).body_received == window);
    BOOST_TEST(!driver.stream(held).finished());
    // Released, its bytes count as taken: the connection's window is whole again for the next.
    driver.session.release(held);
    BOOST_TEST(driver.session.find(held) == nullptr);
    BOOST_TEST(driver.session.open_streams() == 0U);
    const std::int32_t next = driver.get("/next");
    BOOST_REQUIRE(driver.run_until_finished({next}));
    BOOST_TEST(driver.stream(next).status == 200);
    BOOST_TEST((driver.bodies[next] == large));
    BOOST_TEST(driver.bodies[held].empty());

    // reset(): the stream fails at once, said to be this side's doing.
    const std::int32_t cancelled = driver.get("/cancelled");
    driver.session.reset(cancelled);
    BOOST_REQUIRE(driver.stream(cancelled).failure.has_value());
    BOOST_TEST(contains(driver.stream(cancelled).failure->what(), "reset by this side (CANCEL)"));
    const std::int32_t after = driver.get("/after");
    BOOST_REQUIRE(driver.run_until_finished({after}));
    BOOST_TEST((driver.bodies[after] == large));
}

BOOST_AUTO_TEST_CASE(goaway_from_this_side_lets_open_streams_finish) {
    test::TestServer server([](http::Server& s) { s.on_receive(test::echo_path); });
    Driver driver(server.port());
    const std::int32_t id = driver.get("/last");
    driver.session.goaway();
    BOOST_TEST(!driver.session.can_open());
    BOOST_REQUIRE(driver.run_until_finished({id}));
    BOOST_TEST(driver.stream(id).status == 200);
    BOOST_TEST(driver.bodies[id] == "GET /last");
    BOOST_CHECK_THROW(driver.get("/more"), std::logic_error);
}

BOOST_AUTO_TEST_CASE(requests_that_cannot_go_out_are_refused_before_anything_is_sent) {
    test::TestServer server([](http::Server& s) { s.on_receive(test::echo_path); });
    Driver driver(server.port());
    const auto kind_of = [&](const std::function<void()>& submit) {
        try {
            submit();
        } catch (const NetFailure& e) {
            return std::optional<Kind>(e.kind);
        }
        return std::optional<Kind>();
    };
    BOOST_TEST((kind_of([&] { driver.session.submit("GE T", "http", "a", "/", {}); }) == Kind::invalid_request));
    BOOST_TEST((kind_of([&] { driver.get("/a b"); }) == Kind::invalid_request));
    BOOST_TEST((kind_of([&] { driver.get("/", {{"X-Bad", "a\r\nb"}}); }) == Kind::invalid_request));
    BOOST_TEST((kind_of([&] { driver.get("/", {{"Bad Name", "x"}}); }) == Kind::invalid_request));
    BOOST_TEST(driver.session.open_streams() == 0U);
    const std::int32_t id = driver.get("/fine");
    BOOST_TEST(id == 1);  // the refused ones took no stream id
    BOOST_REQUIRE(driver.run_until_finished({id}));
    BOOST_TEST(driver.bodies[id] == "GET /fine");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(http2_session_with_nginx)

namespace {

// nginx with one h2c server (HTTP/2 without TLS, by prior knowledge: `listen ... http2`).
struct NginxH2c {
    NginxH2c() {
        large = random_bytes(4 * 1024 * 1024, 3);
        std::filesystem::create_directory(dir.path() / "www");
        std::ofstream(dir.path() / "www" / "large.bin", std::ios::binary) << large;
        std::ofstream(dir.path() / "www" / "small.txt") << "small file\n";
        const std::string config = R"(
  types { text/plain txt; application/octet-stream bin; }
  server {
    listen 127.0.0.1:)" + std::to_string(port) + R"( http2;
    root )" + dir.path().string() + R"(/www;
    location = /method { return 200 "$request_method $content_length $http_x_test"; }
    location = /trailers { add_trailer X-Checksum "abc123" always; return 200 "with trailers"; }
    location = /missing { return 404; }
  })";
        nginx = std::make_unique<test::Nginx>(dir.path(), config, std::initializer_list<std::uint16_t>{port});
    }

    test::TempDir dir;
    std::string large;
    std::uint16_t port = test::free_port();
    std::unique_ptr<test::Nginx> nginx;
};

}  // namespace

BOOST_AUTO_TEST_CASE(files_methods_trailers_and_a_404) {
    NginxH2c site;
    Driver driver(site.port);
    const std::int32_t small = driver.get("/small.txt");
    const std::int32_t large = driver.get("/large.bin");
    const std::int32_t post = driver.session.submit("POST", "http", "127.0.0.1", "/method", {{"X-Test", "t"}}, "12345");
    const std::int32_t trailers = driver.get("/trailers");
    const std::int32_t missing = driver.get("/missing");
    BOOST_REQUIRE(driver.run_until_finished({small, large, post, trailers, missing}));
    BOOST_TEST(driver.session.settings_received());
    BOOST_TEST(driver.stream(small).status == 200);
    BOOST_TEST(driver.bodies[small] == "small file\n");
    BOOST_TEST(driver.stream(small).headers.get("content-type") == "text/plain");
    BOOST_TEST(driver.stream(large).status == 200);
    BOOST_TEST(driver.bodies[large].size() == site.large.size());
    BOOST_TEST((driver.bodies[large] == site.large));
    BOOST_TEST(driver.bodies[post] == "POST 5 t");
    BOOST_TEST(driver.stream(trailers).status == 200);
    BOOST_TEST(driver.bodies[trailers] == "with trailers");
    BOOST_TEST(driver.stream(trailers).trailers.get("x-checksum") == "abc123");
    BOOST_TEST(driver.stream(trailers).headers.get("x-checksum").empty());
    BOOST_TEST(driver.stream(missing).status == 404);
    BOOST_TEST(!driver.stream(missing).failure.has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(http2_session_hostile, *boost::unit_test::label("threads"))

namespace {

// HPACK: an integer with an N-bit prefix (RFC 7541, Section 5.1), under `first`'s other bits.
std::string hpack_integer(std::size_t value, int prefix_bits, std::uint8_t first = 0) {
    const std::size_t max = (std::size_t{1} << prefix_bits) - 1;
    std::string out;
    if (value < max)
        return std::string(1, static_cast<char>(first | value));
    out += static_cast<char>(first | max);
    value -= max;
    while (value >= 128) {
        out += static_cast<char>((value % 128) | 128);
        value /= 128;
    }
    out += static_cast<char>(value);
    return out;
}

// A field as a literal not indexed, with a literal name, of any length.
std::string field(std::string_view name, std::string_view value) {
    return std::string(1, '\0') + hpack_integer(name.size(), 7) + std::string(name) + hpack_integer(value.size(), 7) +
           std::string(value);
}

// :status 200, from the static table.
const std::string status_200 = "\x88";

// A header block on `stream` as HEADERS and CONTINUATION frames of 16 KiB at most.
std::string header_frames(std::uint32_t stream, const std::string& block, bool end_stream) {
    std::string out;
    std::size_t at = 0;
    do {
        const std::size_t n = std::min<std::size_t>(16384, block.size() - at);
        const bool first = at == 0, last = at + n == block.size();
        const std::uint8_t flags = static_cast<std::uint8_t>((last ? h2::END_HEADERS : 0) | (first && end_stream ? h2::END_STREAM : 0));
        out += h2::frame(first ? h2::HEADERS : h2::CONTINUATION, flags, stream, std::string_view(block).substr(at, n));
        at += n;
    } while (at < block.size());
    return out;
}

// Reads the client's frames until `count` HEADERS have come (its requests); false if they do not.
bool read_requests(int fd, std::size_t count) {
    std::string bytes;
    while (true) {
        const std::string more = test::RawServer::read_once(fd);
        if (more.empty())
            return false;
        bytes += more;
        if (bytes.size() < h2::preface.size())
            continue;
        std::size_t headers = 0;
        std::string_view rest = std::string_view(bytes).substr(h2::preface.size());
        while (rest.size() >= 9) {
            const std::size_t length = std::size_t{static_cast<std::uint8_t>(rest[0])} << 16 |
                                       std::size_t{static_cast<std::uint8_t>(rest[1])} << 8 |
                                       static_cast<std::uint8_t>(rest[2]);
            if (rest.size() < 9 + length)
                break;
            headers += rest[3] == h2::HEADERS;
            rest.remove_prefix(9 + length);
        }
        if (headers >= count)
            return true;
    }
}

// A server that takes `requests` requests, writes `answer`, ends its side and reads until the
// client closes.
test::RawServer scripted(std::size_t requests, std::string answer) {
    return test::RawServer([requests, answer = std::move(answer)](int fd) {
        if (!read_requests(fd, requests))
            return;
        test::RawServer::send_all(fd, answer);
        ::shutdown(fd, SHUT_WR);
        while (!test::RawServer::read_once(fd).empty()) {
        }
    });
}

const std::string settings = h2::frame(h2::SETTINGS, 0, 0);

}  // namespace

BOOST_AUTO_TEST_CASE(a_server_that_never_sends_settings) {
    test::RawServer server = scripted(1, "");  // it reads the request and says nothing
    Driver driver(server.port());
    const std::int32_t id = driver.get("/");
    BOOST_TEST(!driver.run_until([] { return false; }));  // the connection ends
    BOOST_TEST(!driver.session.settings_received());
    BOOST_REQUIRE(driver.stream(id).failure.has_value());
    BOOST_TEST((driver.stream(id).failure->kind == Kind::closed));
    BOOST_TEST(contains(driver.stream(id).failure->what(), "closed the connection"));
    BOOST_TEST(!driver.stream(id).retryable);
    BOOST_TEST(!driver.session.want_read());
}

BOOST_AUTO_TEST_CASE(an_http1_answer_to_the_preface_is_malformed) {
    test::RawServer server = scripted(1, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    Driver driver(server.port());
    const std::int32_t id = driver.get("/");
    BOOST_REQUIRE(driver.run_until_finished({id}));
    BOOST_REQUIRE(driver.thrown.has_value());
    BOOST_TEST((driver.thrown->kind == Kind::malformed_response));
    BOOST_TEST(contains(driver.thrown->what(), "broke HTTP/2"));
    BOOST_TEST(contains(driver.thrown->what(), "its first frame was not SETTINGS"));
    BOOST_TEST((driver.stream(id).failure->kind == Kind::malformed_response));
    BOOST_TEST(driver.session.failure().has_value());
    BOOST_TEST(!driver.session.settings_received());
}

BOOST_AUTO_TEST_CASE(a_response_without_status_is_malformed) {
    test::RawServer server =
        scripted(1, settings + header_frames(1, field("content-type", "text/plain"), true));
    Driver driver(server.port());
    const std::int32_t id = driver.get("/");
    BOOST_REQUIRE(driver.run_until_finished({id}));
    BOOST_TEST(driver.session.settings_received());
    BOOST_REQUIRE(driver.stream(id).failure.has_value());
    BOOST_TEST((driver.stream(id).failure->kind == Kind::malformed_response));
    BOOST_TEST(contains(driver.stream(id).failure->what(), ":status"));
    BOOST_TEST(driver.stream(id).status == 0);
    BOOST_TEST(!driver.thrown.has_value());  // a stream error: the connection goes on
}

BOOST_AUTO_TEST_CASE(bad_statuses_and_names_are_malformed) {
    test::RawServer server = scripted(
        4, settings + header_frames(1, field(":status", "101"), true) + header_frames(3, field(":status", "099"), true) +
               header_frames(5, status_200 + field("X-Upper", "1"), true) +
               header_frames(7, status_200 + field("x-fine", "1"), true));
    Driver driver(server.port());
    const std::int32_t switching = driver.get("/"), low = driver.get("/"), upper = driver.get("/"), fine = driver.get("/");
    BOOST_REQUIRE(driver.run_until_finished({switching, low, upper, fine}));
    for (const std::int32_t id : {switching, low, upper}) {
        BOOST_REQUIRE(driver.stream(id).failure.has_value());
        BOOST_TEST((driver.stream(id).failure->kind == Kind::malformed_response));
    }
    BOOST_TEST(contains(driver.stream(switching).failure->what(), "101"));
    BOOST_TEST(contains(driver.stream(low).failure->what(), "'099'"));
    BOOST_TEST(contains(driver.stream(upper).failure->what(), "X-Upper"));
    BOOST_TEST(driver.stream(fine).status == 200);  // the others' errors were the streams' own
    BOOST_TEST(driver.stream(fine).headers.get("x-fine") == "1");
}

BOOST_AUTO_TEST_CASE(interim_responses_are_skipped) {
    test::RawServer server = scripted(
        1, settings + header_frames(1, field(":status", "100"), false) +
               header_frames(1, field(":status", "103") + field("link", "</a.css>; rel=preload"), false) +
               header_frames(1, status_200 + field("x-final", "yes"), false) + h2::frame(h2::DATA, h2::END_STREAM, 1, "body"));
    Driver driver(server.port());
    const std::int32_t id = driver.get("/");
    BOOST_REQUIRE(driver.run_until_finished({id}));
    const Http2ClientStream& s = driver.stream(id);
    BOOST_TEST(!s.failure.has_value());
    BOOST_TEST(s.status == 200);
    BOOST_TEST(s.interim_responses == 2U);
    BOOST_TEST(s.headers.get("x-final") == "yes");
    BOOST_TEST(!s.headers.contains("link"));  // the 103's
    BOOST_TEST(driver.bodies[id] == "body");
}

// A few interim responses are skipped (5, response_max_interim); one more fails the stream as
// too large and resets it, so that a server sending 1xx after 1xx cannot hold the request.
BOOST_AUTO_TEST_CASE(interim_responses_at_the_limit_and_past_it) {
    for (const std::size_t count : {http::detail::response_max_interim, http::detail::response_max_interim + 1}) {
        BOOST_TEST_CONTEXT(count << " interim responses") {
            std::string script = settings;
            for (std::size_t i = 0; i < count; ++i)
                script += header_frames(1, field(":status", "103") + field("link", "</a.css>; rel=preload"), false);
            script += header_frames(1, status_200, false) + h2::frame(h2::DATA, h2::END_STREAM, 1, "body");
            test::RawServer server = scripted(1, script);
            Driver driver(server.port());
            const std::int32_t id = driver.get("/");
            BOOST_REQUIRE(driver.run_until_finished({id}));
            const Http2ClientStream& s = driver.stream(id);
            if (count <= http::detail::response_max_interim) {
                BOOST_TEST(!s.failure.has_value());
                BOOST_TEST(s.status == 200);
                BOOST_TEST(driver.bodies[id] == "body");
            } else {
                BOOST_REQUIRE(s.failure.has_value());
                BOOST_TEST((s.failure->kind == Kind::too_large));
                BOOST_TEST(contains(s.failure->what(), "more than 5 interim (1xx) responses"));
                BOOST_TEST((s.reset == http::h2::ErrorCode::CANCEL));
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(trailers_after_the_body) {
    test::RawServer server = scripted(
        1, settings + header_frames(1, status_200 + field("content-type", "text/plain"), false) +
               h2::frame(h2::DATA, 0, 1, "part one, ") + h2::frame(h2::DATA, 0, 1, "part two") +
               header_frames(1, field("x-digest", "sha-256=abc") + field("x-count", "2"), true));
    Driver driver(server.port());
    const std::int32_t id = driver.get("/");
    BOOST_REQUIRE(driver.run_until_finished({id}));
    const Http2ClientStream& s = driver.stream(id);
    BOOST_TEST(!s.failure.has_value());
    BOOST_TEST(s.ended);
    BOOST_TEST(driver.bodies[id] == "part one, part two");
    BOOST_TEST(s.trailers.get("x-digest") == "sha-256=abc");
    BOOST_TEST(s.trailers.get("x-count") == "2");
    BOOST_TEST(!s.headers.contains("x-digest"));
    BOOST_TEST(s.headers.get("content-type") == "text/plain");
}

BOOST_AUTO_TEST_CASE(a_header_list_past_the_limit_is_too_large) {
    std::string block = status_200;
    for (int i = 0; i < 10; ++i)
        block += field("x-big-" + std::to_string(i), std::string(8000, 'a'));  // 80 KB decoded
    test::RawServer server = scripted(2, settings + header_frames(1, block, true) +
                                             header_frames(3, status_200 + field("x-small", "1"), true));
    Driver driver(server.port());
    const std::int32_t big = driver.get("/big"), small = driver.get("/small");
    BOOST_REQUIRE(driver.run_until_finished({big, small}));
    BOOST_REQUIRE(driver.stream(big).failure.has_value());
    BOOST_TEST((driver.stream(big).failure->kind == Kind::too_large));
    BOOST_TEST(contains(driver.stream(big).failure->what(), "max_header_list_size (65536 bytes"));
    BOOST_TEST((driver.stream(big).reset == http::h2::ErrorCode::CANCEL));
    BOOST_TEST(driver.stream(small).status == 200);  // HPACK stayed in step: the next block decodes

    // A lower limit, announced and kept.
    test::RawServer second = scripted(1, settings + header_frames(1, status_200 + field("x-a", std::string(200, 'b')), true));
    Driver limited(second.port(), {.max_header_list_size = 100});
    const std::int32_t id = limited.get("/");
    BOOST_REQUIRE(limited.run_until_finished({id}));
    BOOST_REQUIRE(limited.stream(id).failure.has_value());
    BOOST_TEST((limited.stream(id).failure->kind == Kind::too_large));
    BOOST_TEST(contains(limited.stream(id).failure->what(), "max_header_list_size (100 bytes"));
}

BOOST_AUTO_TEST_CASE(refused_stream_is_retryable) {
    test::RawServer server = scripted(
        2, settings + h2::frame(h2::RST_STREAM, 0, 1, h2::u32(0x7)) + header_frames(3, status_200, true));
    Driver driver(server.port());
    const std::int32_t refused = driver.get("/a"), served = driver.get("/b");
    BOOST_REQUIRE(driver.run_until_finished({refused, served}));
    const Http2ClientStream& s = driver.stream(refused);
    BOOST_TEST(s.retryable);
    BOOST_TEST(s.reset_by_server);
    BOOST_TEST((s.reset == http::h2::ErrorCode::REFUSED_STREAM));
    BOOST_REQUIRE(s.failure.has_value());
    BOOST_TEST((s.failure->kind == Kind::closed));
    BOOST_TEST(contains(s.failure->what(), "REFUSED_STREAM"));
    BOOST_TEST(driver.stream(served).status == 200);
    BOOST_TEST(!driver.stream(served).retryable);
}

BOOST_AUTO_TEST_CASE(a_reset_with_another_code_is_not_retryable) {
    test::RawServer server = scripted(
        1, settings + header_frames(1, status_200, false) + h2::frame(h2::DATA, 0, 1, "half") +
               h2::frame(h2::RST_STREAM, 0, 1, h2::u32(0x2)));
    Driver driver(server.port());
    const std::int32_t id = driver.get("/");
    BOOST_REQUIRE(driver.run_until_finished({id}));
    const Http2ClientStream& s = driver.stream(id);
    BOOST_TEST(!s.retryable);
    BOOST_TEST((s.reset == http::h2::ErrorCode::INTERNAL_ERROR));
    BOOST_REQUIRE(s.failure.has_value());
    BOOST_TEST(contains(s.failure->what(), "INTERNAL_ERROR"));
    BOOST_TEST(driver.bodies[id] == "half");
}

BOOST_AUTO_TEST_CASE(goaway_makes_the_streams_above_its_last_id_retryable) {
    test::RawServer server = scripted(
        3, settings + h2::frame(h2::GOAWAY, 0, 0, h2::u32(1) + h2::u32(0) + "shutting down") +
               header_frames(1, status_200, false) + h2::frame(h2::DATA, h2::END_STREAM, 1, "done"));
    Driver driver(server.port());
    const std::int32_t first = driver.get("/1"), second = driver.get("/2"), third = driver.get("/3");
    BOOST_REQUIRE(driver.run_until_finished({first, second, third}));
    BOOST_REQUIRE(driver.session.goaway_received().has_value());
    BOOST_TEST(driver.session.goaway_received()->last_stream_id == 1);
    BOOST_TEST(driver.session.goaway_received()->debug_data == "shutting down");
    BOOST_TEST(!driver.session.can_open());
    BOOST_TEST(driver.stream(first).status == 200);
    BOOST_TEST(!driver.stream(first).failure.has_value());
    BOOST_TEST(driver.bodies[first] == "done");
    for (const std::int32_t id : {second, third}) {
        BOOST_TEST(driver.stream(id).retryable);
        BOOST_REQUIRE(driver.stream(id).failure.has_value());
        BOOST_TEST((driver.stream(id).failure->kind == Kind::closed));
        BOOST_TEST(contains(driver.stream(id).failure->what(), "last stream id 1"));
    }
}

BOOST_AUTO_TEST_CASE(a_pushed_stream_is_a_connection_error) {
    // SETTINGS_ENABLE_PUSH is 0 (acknowledged here): PUSH_PROMISE is a PROTOCOL_ERROR (RFC 9113,
    // Section 8.4), so no server can open streams on this connection.
    test::RawServer server = scripted(
        1, settings + h2::frame(h2::SETTINGS, h2::ACK, 0) +
               h2::frame(5 /* PUSH_PROMISE */, h2::END_HEADERS, 1, h2::u32(2) + h2::get_root));
    Driver driver(server.port());
    const std::int32_t id = driver.get("/");
    BOOST_REQUIRE(driver.run_until_finished({id}));
    BOOST_REQUIRE(driver.thrown.has_value());
    BOOST_TEST((driver.thrown->kind == Kind::malformed_response));
    BOOST_TEST(contains(driver.thrown->what(), "GOAWAY PROTOCOL_ERROR"));
    BOOST_TEST((driver.stream(id).failure->kind == Kind::malformed_response));
}

BOOST_AUTO_TEST_CASE(a_connection_error_fails_every_stream) {
    // DATA on stream 0 is a connection error PROTOCOL_ERROR (RFC 9113, Section 6.1).
    test::RawServer server = scripted(2, settings + h2::frame(h2::DATA, 0, 0, "x"));
    Driver driver(server.port());
    const std::int32_t a = driver.get("/a"), b = driver.get("/b");
    BOOST_REQUIRE(driver.run_until_finished({a, b}));
    BOOST_REQUIRE(driver.thrown.has_value());
    BOOST_TEST((driver.thrown->kind == Kind::malformed_response));
    BOOST_TEST(contains(driver.thrown->what(), "GOAWAY PROTOCOL_ERROR"));
    for (const std::int32_t id : {a, b})
        BOOST_TEST((driver.stream(id).failure->kind == Kind::malformed_response));
    BOOST_TEST(!driver.session.want_read());
    BOOST_CHECK_THROW(driver.session.receive(settings), NetFailure);
}

BOOST_AUTO_TEST_CASE(output_given_stays_while_bytes_are_received) {
    // No socket: what output() gave may be under way to the socket while receive() runs.
    Http2ClientSession session;
    const std::string_view first = session.output();
    const std::string copy(first);
    BOOST_TEST(copy.starts_with(h2::preface));
    session.receive(settings);  // its acknowledgement is made, and waits
    BOOST_TEST(first == copy);
    BOOST_TEST(session.want_write());
    session.written(first.size());
    BOOST_TEST(session.output() == h2::frame(h2::SETTINGS, h2::ACK, 0));
    session.written(9);
    BOOST_TEST(session.output().empty());
    BOOST_TEST(!session.want_write());
    BOOST_TEST(session.settings_received());
}

BOOST_AUTO_TEST_CASE(a_stream_reset_before_its_request_went_out) {
    // No socket: a stream reset before its HEADERS were written is closed without a frame of its
    // own going out, and stops counting as open.
    Http2ClientSession session;
    const std::int32_t reset = session.submit("GET", "http", "a", "/reset", {});
    const std::int32_t kept = session.submit("GET", "http", "a", "/kept", {});
    session.reset(reset);
    const std::string out(session.output());
    BOOST_TEST(session.open_streams() == 1U);
    BOOST_TEST(session.find(reset)->closed);
    BOOST_TEST(!session.find(reset)->retryable);
    BOOST_TEST(contains(session.find(reset)->failure->what(), "reset by this side (CANCEL)"));
    BOOST_TEST(!session.find(kept)->finished());
    // The frames after the preface: SETTINGS, WINDOW_UPDATE and one HEADERS, on `kept`'s stream.
    std::vector<std::pair<int, std::uint32_t>> frames;  // type, stream
    for (std::string_view rest = std::string_view(out).substr(h2::preface.size()); rest.size() >= 9;) {
        const std::size_t length = std::size_t{static_cast<std::uint8_t>(rest[0])} << 16 |
                                   std::size_t{static_cast<std::uint8_t>(rest[1])} << 8 | static_cast<std::uint8_t>(rest[2]);
        frames.emplace_back(rest[3], static_cast<std::uint8_t>(rest[8]));
        rest.remove_prefix(9 + length);
    }
    BOOST_TEST(std::count(frames.begin(), frames.end(), std::pair<int, std::uint32_t>(h2::HEADERS, 3)) == 1);
    BOOST_TEST(std::count_if(frames.begin(), frames.end(), [](const auto& f) { return f.second == 1; }) == 0);
}

BOOST_AUTO_TEST_CASE(a_connection_error_is_found_while_output_waits_unwritten) {
    // No socket: a caller that has not written what output() gave (a full socket) still learns of
    // the server's error from receive(), its GOAWAY made ahead of the waiting body.
    Http2ClientSession session;
    const std::string upload(1024 * 1024, 'u');
    const std::int32_t id = session.submit("POST", "http", "127.0.0.1", "/", {}, upload);
    const std::size_t waiting = session.output().size();
    BOOST_TEST(waiting > 64 * 1024U);  // the first window's DATA, unwritten
    BOOST_TEST(session.output().size() == waiting);  // asked again, nothing more is made
    BOOST_CHECK_THROW(session.receive(settings + h2::frame(h2::DATA, 0, 0, "x")), NetFailure);
    BOOST_REQUIRE(session.failure().has_value());
    BOOST_TEST((session.failure()->kind == Kind::malformed_response));
    BOOST_TEST((session.find(id)->failure->kind == Kind::malformed_response));
    BOOST_TEST(!session.want_read());
}

BOOST_AUTO_TEST_SUITE_END()
