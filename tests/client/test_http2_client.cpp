// The client over HTTP/2: h2 by ALPN against this library's server and nginx, h2c by prior
// knowledge, concurrent requests as streams of one connection, Node's http2 server, and servers
// that refuse streams or never speak HTTP/2.
#include <http/client.hpp>
#include <http/server.hpp>
#include <http/task.hpp>

#include "support/h2_frames.hpp"
#include "support/nginx.hpp"
#include "support/ports.hpp"
#include "support/test_server.hpp"
#include "support/tls_client.hpp"

#include <boost/test/unit_test.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using Kind = http::TransportError::Kind;

namespace {

// This library's server, on TLS (h2 by ALPN) or in the clear (h2c by prior knowledge).
struct OwnServer {
    explicit OwnServer(bool tls)
        : server([this, tls](http::Server& s) {
              if (tls) {
                  s.tls_certificate = test::TestCertificates::get().pem("localhost");
                  s.tls_private_key = test::TestCertificates::get().key("localhost");
              }
              s.on_connect([this](const http::ClientInfo&) { ++connections; });
              s.on_receive([](http::Request& req, http::Response& res) {
                  if (req.path == "/large") {
                      res.body = std::string(3 * 1024 * 1024, 'x');
                      return;
                  }
                  if (req.path == "/missing")
                      throw http::NotFound("nothing here");
                  if (req.path == "/length") {  // the length the request announced, and what came
                      res.body = std::string(req.headers.get("Content-Length", "-")) + " " + std::to_string(req.body.size());
                      return;
                  }
                  res.body = req.method + " " + req.request_uri + " " + req.http_version + " " +
                             std::string(req.headers.get("X-Test", "-")) + " " + req.body;
              });
          }),
          base((tls ? "https://localhost:" : "http://127.0.0.1:") + std::to_string(server.port())) {}

    std::atomic<int> connections{0};
    test::TestServer server;
    std::string base;
};

http::Client trusting_client() {
    http::Client client;
    client.ca_cert = test::TestCertificates::get().pem("ca");
    return client;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http2_client, *boost::unit_test::label("threads"))

BOOST_AUTO_TEST_CASE(h2_by_alpn_with_the_blocking_and_the_async_calls) {
    OwnServer own(true);
    http::Client client = trusting_client();
    const http::Response got = client.get(own.base + "/a?b=1", {{"X-Test", "t"}});
    BOOST_TEST(got.version == "2");
    BOOST_TEST(got.body == "GET /a?b=1 2 t ");
    const http::Response posted = client.post(own.base + "/p", "x=1");
    BOOST_TEST(posted.version == "2");
    BOOST_TEST(posted.body == "POST /p 2 - x=1");
    BOOST_TEST(client.get(own.base + "/large").body.size() == 3u * 1024 * 1024);  // past the windows
    const http::Response missing = client.get(own.base + "/missing");
    BOOST_TEST(static_cast<int>(missing.status) == 404);
    BOOST_CHECK_THROW(missing.raise_for_status(), http::NotFound);
    BOOST_TEST(own.connections.load() == 1);  // one connection for all of them

    // Turned off: HTTP/1.1 over TLS, as before.
    http::Client http1 = trusting_client();
    http1.http2 = false;
    const http::Response old = http1.get(own.base + "/old");
    BOOST_TEST(old.version == "1.1");
    BOOST_TEST(old.body == "GET /old 1.1 - ");
}

// Requests awaited together go as streams of one connection.
BOOST_AUTO_TEST_CASE(concurrent_requests_share_one_connection_as_streams) {
    for (const bool tls : {true, false}) {
        BOOST_TEST_CONTEXT((tls ? "h2" : "h2c")) {
            OwnServer own(tls);
            http::Client client = trusting_client();
            client.http2_prior_knowledge = !tls;
            std::vector<http::Task<http::Response>> tasks;
            for (int i = 0; i < 40; ++i)
                tasks.push_back(client.async_get(own.base + "/n" + std::to_string(i)));
            tasks.push_back(client.async_get(own.base + "/large"));
            const std::vector<http::Response> responses = http::run(http::when_all(std::move(tasks)));
            BOOST_REQUIRE(responses.size() == 41u);
            for (int i = 0; i < 40; ++i) {
                BOOST_TEST(responses[static_cast<std::size_t>(i)].version == "2");
                BOOST_TEST(responses[static_cast<std::size_t>(i)].body == "GET /n" + std::to_string(i) + " 2 - ");
            }
            BOOST_TEST(responses[40].body.size() == 3u * 1024 * 1024);
            BOOST_TEST(own.connections.load() == 1);
        }
    }
}

// upload() over HTTP/2: the file goes a part at a time as the stream's window takes it (1 MB past
// 64 KB windows), announced with its length, by ALPN and by prior knowledge; on_progress hears of
// each part. An empty file goes as an empty body.
BOOST_AUTO_TEST_CASE(an_upload_from_disk_goes_as_the_stream_takes_it) {
    const std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("httpkit-h2-upload-" + std::to_string(::getpid()));
    const std::filesystem::path empty = path.string() + "-empty";
    std::string content;
    for (int i = 0; content.size() < 1'000'000; ++i)
        content += std::to_string(i) + ",";
    std::ofstream(path, std::ios::binary) << content;
    std::ofstream(empty, std::ios::binary).flush();
    for (const bool tls : {true, false}) {
        BOOST_TEST_CONTEXT((tls ? "h2" : "h2c")) {
            OwnServer own(tls);
            http::Client client = trusting_client();
            client.http2_prior_knowledge = !tls;
            std::uint64_t uploaded = 0;
            std::optional<std::uint64_t> total;
            int parts = 0;
            client.on_progress = [&](const http::Progress& progress) {
                if (progress.uploaded != uploaded)
                    ++parts;
                uploaded = progress.uploaded;
                total = progress.upload_total;
                return true;
            };
            const http::Response put = client.upload(own.base + "/up", path, "PUT");
            BOOST_TEST(put.version == "2");
            BOOST_TEST(put.body.size() == std::string("PUT /up 2 - ").size() + content.size());
            BOOST_TEST((put.body == "PUT /up 2 - " + content));  // (not printed when it differs: 1 MB)
            BOOST_TEST(uploaded == content.size());
            BOOST_REQUIRE(total.has_value());
            BOOST_TEST(*total == content.size());
            BOOST_TEST(parts >= static_cast<int>(content.size() / (64 * 1024)));

            const http::Response length = client.upload(own.base + "/length", path, "POST");
            BOOST_TEST(length.version == "2");
            BOOST_TEST(length.body == std::to_string(content.size()) + " " + std::to_string(content.size()));
            const http::Response none = client.upload(own.base + "/length", empty, "POST");
            BOOST_TEST(none.version == "2");
            BOOST_TEST(none.body == "0 0");
            BOOST_TEST(own.connections.load() == 1);
        }
    }
    std::filesystem::remove(path);
    std::filesystem::remove(empty);
}

// More requests at once than a connection takes streams (100) open the connections they need,
// each request waiting for one opening; afterwards the pooled connections take the next burst.
BOOST_AUTO_TEST_CASE(a_burst_past_the_stream_limit_opens_the_connections_it_needs) {
    OwnServer own(false);
    http::Client client;
    client.http2_prior_knowledge = true;
    const auto burst = [&](int first) {
        std::vector<http::Task<http::Response>> tasks;
        for (int i = first; i < first + 250; ++i)
            tasks.push_back(client.async_get(own.base + "/b" + std::to_string(i)));
        return http::run(http::when_all(std::move(tasks)));
    };
    for (const int first : {0, 1000}) {
        const std::vector<http::Response> responses = burst(first);
        BOOST_REQUIRE(responses.size() == 250u);
        for (int i = 0; i < 250; ++i)
            BOOST_TEST(responses[static_cast<std::size_t>(i)].body == "GET /b" + std::to_string(first + i) + " 2 - ");
        BOOST_TEST(own.connections.load() == 3);  // 100 + 100 + 50, the second time too
    }
}

BOOST_AUTO_TEST_CASE(nginx_over_h2_and_h2c) {
    test::TempDir dir;
    std::filesystem::create_directory(dir.path() / "www");
    std::string large(5 * 1024 * 1024, '\0');
    for (std::size_t i = 0; i < large.size(); ++i)
        large[i] = static_cast<char>(i * 7 % 251);
    std::ofstream(dir.path() / "www" / "large.bin", std::ios::binary) << large;
    const auto& certificates = test::TestCertificates::get();
    const auto ports = test::free_ports<2>();
    const std::uint16_t h2_port = ports[0];
    const std::uint16_t h2c_port = ports[1];
    const std::string locations = R"(
    root )" + (dir.path() / "www").string() + R"(;
    location = /method { return 200 "$request_method $server_protocol $content_length"; }
    location = /missing { return 404; })";
    const std::string config = "  types { application/octet-stream bin; }\n  server {\n    listen 127.0.0.1:" +
                               std::to_string(h2_port) + " ssl http2;\n    ssl_certificate " +
                               certificates.pem("localhost") + ";\n    ssl_certificate_key " + certificates.key("localhost") +
                               ";" + locations + "\n  }\n  server {\n    listen 127.0.0.1:" + std::to_string(h2c_port) +
                               " http2;" + locations + "\n  }";
    test::Nginx nginx(dir.path(), config, std::initializer_list<std::uint16_t>{h2_port, h2c_port});

    http::Client client = trusting_client();
    client.http2_prior_knowledge = true;
    for (const std::string& base : {"https://localhost:" + std::to_string(h2_port),
                                    "http://127.0.0.1:" + std::to_string(h2c_port)}) {
        BOOST_TEST_CONTEXT(base) {
            const http::Response file = client.get(base + "/large.bin");
            BOOST_TEST(file.version == "2");
            BOOST_TEST((file.body == large));
            const http::Response posted = client.post(base + "/method", "12345");
            BOOST_TEST(posted.body == "POST HTTP/2.0 5");
            BOOST_TEST(static_cast<int>(client.get(base + "/missing").status) == 404);
            std::vector<http::Task<http::Response>> tasks;
            for (int i = 0; i < 20; ++i)
                tasks.push_back(client.async_get(base + "/method"));
            for (const http::Response& r : http::run(http::when_all(std::move(tasks))))
                BOOST_TEST(r.body == "GET HTTP/2.0 ");
        }
    }
}

namespace {

// A raw HTTP/2 server on a kernel-chosen port that meets its connections as `plan` says, one
// letter a connection, in order: 'r' answers the request's HEADERS with SETTINGS, RST_STREAM
// REFUSED_STREAM on stream 1 and GOAWAY (last stream 0: not processed); 'a' with SETTINGS and a
// 200 whose body is "answered" (HPACK: :status 200 is 0x88); 's' says nothing for 1.5 s.
class RawH2Server {
public:
    explicit RawH2Server(std::string plan) : plan_(std::move(plan)) {
        listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        BOOST_REQUIRE(listener_ >= 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        BOOST_REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        socklen_t length = sizeof address;
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
        BOOST_REQUIRE(::listen(listener_, 8) == 0);
        base = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
        thread_ = std::thread([this] { serve(); });
    }
    ~RawH2Server() {
        ::shutdown(listener_, SHUT_RDWR);
        thread_.join();
        ::close(listener_);
    }
    RawH2Server(const RawH2Server&) = delete;
    RawH2Server& operator=(const RawH2Server&) = delete;

    std::string base;
    std::atomic<int> requests_seen{0};
    std::atomic<int> connections{0};

private:
    void serve() {
        for (const char step : plan_) {
            const int fd = ::accept(listener_, nullptr, nullptr);
            if (fd < 0)
                return;
            ++connections;
            std::string in;
            char buffer[4096];
            // The preface, SETTINGS, and a HEADERS frame (type 1) at least.
            bool headers = true;
            while (step != 's' && (in.find(std::string("\x01", 1)) == std::string::npos || in.size() < 24 + 9 + 9)) {
                const ssize_t n = ::read(fd, buffer, sizeof buffer);
                if (n <= 0) {
                    headers = false;
                    break;
                }
                in.append(buffer, static_cast<std::size_t>(n));
            }
            if (step != 's' && headers) {
                ++requests_seen;
                std::string out = test::h2::frame(4, 0, 0) + test::h2::frame(4, 1, 0);  // SETTINGS, ACK
                if (step == 'r')
                    out += test::h2::frame(3, 0, 1, test::h2::u32(7)) +
                           test::h2::frame(7, 0, 0, test::h2::u32(0) + test::h2::u32(0));
                else if (step == 'd')
                    out += test::h2::frame(1, 0x4, 1, std::string("\x88", 1));  // a head, then a drip
                else
                    out += test::h2::frame(1, 0x4, 1, std::string("\x88", 1)) + test::h2::frame(0, 0x1, 1, "answered");
                [[maybe_unused]] auto written = ::write(fd, out.data(), out.size());
                if (step == 'd') {
                    // A byte of stream 1's body every 100 ms for 1.5 s, nothing for any other
                    // stream, then gone.
                    for (int i = 0; i < 15; ++i) {
                        std::this_thread::sleep_for(100ms);
                        const std::string drop = test::h2::frame(0, 0, 1, "x");
                        written = ::write(fd, drop.data(), drop.size());
                    }
                } else {
                    while (::read(fd, buffer, sizeof buffer) > 0) {  // until the client closes
                    }
                }
            } else if (step == 's') {
                std::this_thread::sleep_for(1500ms);  // silent, then gone
            }
            ::close(fd);
        }
    }

    std::string plan_;
    int listener_ = -1;
    std::thread thread_;
};

}  // namespace

// A server that refuses a stream (REFUSED_STREAM, RFC 9113 Section 8.7: not processed) and goes
// away (GOAWAY) gets the request again on a new connection, even a POST: up to 3 times in all.
BOOST_AUTO_TEST_CASE(a_refused_stream_goes_again_up_to_three_times) {
    {
        RawH2Server server("ra");
        http::Client client;
        client.http2_prior_knowledge = true;
        const http::Response answer = client.post(server.base + "/once", "body");
        BOOST_TEST(answer.version == "2");
        BOOST_TEST(answer.body == "answered");
        BOOST_TEST(server.requests_seen.load() == 2);
    }
    {
        RawH2Server server("rra");  // the third time, the last allowed
        http::Client client;
        client.http2_prior_knowledge = true;
        BOOST_TEST(client.post(server.base + "/twice", "body").body == "answered");
        BOOST_TEST(server.requests_seen.load() == 3);
    }
    {
        RawH2Server server("rrra");  // refused a third time: no fourth
        http::Client client;
        client.http2_prior_knowledge = true;
        try {
            client.post(server.base + "/thrice", "body");
            BOOST_ERROR("a request refused three times was sent a fourth");
        } catch (const http::TransportError& e) {
            BOOST_TEST(static_cast<int>(e.kind()) == static_cast<int>(Kind::closed));
            BOOST_TEST(std::string(e.what()).find("(sent 3 times)") != std::string::npos, e.what());
        }
        BOOST_TEST(server.requests_seen.load() == 3);
        BOOST_TEST(server.connections.load() == 3);
    }
}

// A server that never sends its SETTINGS nor an answer is waited for no longer than
// receive_timeout.
BOOST_AUTO_TEST_CASE(a_silent_server_times_out) {
    RawH2Server server("s");
    http::Client client;
    client.http2_prior_knowledge = true;
    client.receive_timeout = 300ms;
    try {
        client.get(server.base + "/silent");
        BOOST_ERROR("a silent server answered");
    } catch (const http::TransportError& e) {
        BOOST_TEST(static_cast<int>(e.kind()) == static_cast<int>(Kind::timeout));
    }
}

// A request waiting on a connection that another drives times out at its own deadline: the
// connection keeps one timer for the deadlines of its waiting streams. Here stream 1 gets a byte
// every 100 ms (its request drives, and each byte renews its wait) while stream 3 gets nothing; the
// server closes after 1.5 s, so a wait the timer missed would fail as closed, not as timed out.
BOOST_AUTO_TEST_CASE(a_stream_waiting_while_another_drives_times_out_at_its_deadline) {
    using Clock = std::chrono::steady_clock;
    RawH2Server server("d");
    http::Client client;
    client.http2_prior_knowledge = true;
    client.receive_timeout = 300ms;
    std::optional<Kind> dripping, silent;
    Clock::duration waited{};
    const auto drip = [&]() -> http::Task<> {
        try {
            co_await client.async_get(server.base + "/drip");
        } catch (const http::TransportError& e) {
            dripping = e.kind();
        }
    };
    const auto wait = [&]() -> http::Task<> {
        co_await http::sleep_for(100ms);  // once the first request drives the connection
        const Clock::time_point start = Clock::now();
        try {
            co_await client.async_get(server.base + "/silent");
        } catch (const http::TransportError& e) {
            silent = e.kind();
        }
        waited = Clock::now() - start;
    };
    http::run(http::when_all(drip(), wait()));
    BOOST_TEST_REQUIRE(silent.has_value(), "the silent stream was answered");
    BOOST_TEST(static_cast<int>(*silent) == static_cast<int>(Kind::timeout));
    BOOST_TEST(waited >= 295ms, "it timed out before its deadline");
    BOOST_TEST_REQUIRE(dripping.has_value());  // the server went away in the end
    BOOST_TEST(static_cast<int>(*dripping) != static_cast<int>(Kind::timeout));
    BOOST_TEST(server.connections.load() == 1);  // both streams on one connection
}

BOOST_AUTO_TEST_SUITE_END()
