// HTTPS: the server's TLS against our own client, a raw OpenSSL client choosing what the
// handshake offers, and curl; certificate reloading; startup errors; what is not TLS.
#include "support/process.hpp"
#include "support/test_server.hpp"
#include "support/tls_client.hpp"

#include <http/client.hpp>
#include <http/router.hpp>
#include <http/stream.hpp>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>

namespace {

using test::TestCertificates;
using test::TlsClient;
using test::TlsOptions;

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

void serve_tls(http::Server& s, const std::string& name = "localhost") {
    s.tls_certificate = TestCertificates::get().pem(name);
    s.tls_private_key = TestCertificates::get().key(name);
}

std::string url(const test::TestServer& server, const std::string& path) {
    return "https://localhost:" + std::to_string(server.port()) + path;
}

http::Client trusting_client() {
    http::Client client;
    client.ca_cert = TestCertificates::get().pem("ca");
    return client;
}

std::string request(const std::string& path) { return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n"; }

// What start() throws for these settings, or "" if it starts.
std::string start_error(const std::function<void(http::Server&)>& configure) {
    http::Server server(0);
    server.io_threads = 1;
    configure(server);
    try {
        server.start();
    } catch (const std::exception& error) {
        return error.what();
    }
    server.close();
    server.wait();
    return {};
}

std::string random_bytes(std::size_t size) {
    std::mt19937_64 random(7);
    std::string bytes(size, '\0');
    for (char& byte : bytes)
        byte = static_cast<char>(random());
    return bytes;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tls)

BOOST_AUTO_TEST_CASE(our_client_talks_https_and_the_request_says_so) {
    std::atomic<int> connections{0};
    test::TestServer server([&](http::Server& s) {
        serve_tls(s);
        s.on_connect([&](const http::ClientInfo&) { ++connections; });
        s.on_receive([](http::Request& req, http::Response& res) { res.body = req.scheme + " " + req.method + " " + req.path; });
    });
    http::Client client = trusting_client();
    BOOST_TEST(client.get(url(server, "/a")).body == "https GET /a");
    const http::Response posted = client.post(url(server, "/b"), "x=1");
    BOOST_TEST(posted.status == http::Status::OK);
    BOOST_TEST(posted.body == "https POST /b");
    BOOST_TEST(connections == 1);  // kept alive over TLS
}

BOOST_AUTO_TEST_CASE(tls_1_2_and_1_3_only_with_alpn_http_1_1) {
    test::TestServer server([](http::Server& s) {
        serve_tls(s);
        s.http2 = false;  // ALPN: http/1.1 only (h2 is in the http2 suite)
        s.on_receive(test::echo_path);
    });
    {
        TlsClient client(server.port(), {.alpn = {"h2", "http/1.1"}});
        BOOST_REQUIRE_MESSAGE(client.handshake(), client.error());
        BOOST_TEST(client.version() == "TLSv1.3");
        BOOST_TEST(client.alpn() == "http/1.1");
        BOOST_TEST(client.peer_name() == "localhost");
        client.send(request("/one"));
        BOOST_TEST(contains(client.read_responses(1), "GET /one"));
    }
    {
        TlsClient client(server.port(), {.max_version = TLS1_2_VERSION});
        BOOST_REQUIRE_MESSAGE(client.handshake(), client.error());
        BOOST_TEST(client.version() == "TLSv1.2");
        client.send(request("/two"));
        BOOST_TEST(contains(client.read_responses(1), "GET /two"));
    }
    {
        TlsClient client(server.port(), {.alpn = {}});  // no ALPN: HTTP/1.1 all the same
        BOOST_REQUIRE_MESSAGE(client.handshake(), client.error());
        BOOST_TEST(client.alpn().empty());
        client.send(request("/three"));
        BOOST_TEST(contains(client.read_responses(1), "GET /three"));
    }
    {
        TlsClient client(server.port(), {.min_version = TLS1_VERSION, .max_version = TLS1_1_VERSION});
        BOOST_TEST(!client.handshake());
        BOOST_TEST(contains(client.error(), "protocol version"), client.error());
    }
    {
        TlsClient client(server.port(), {.alpn = {"spdy/3"}});  // nothing the server speaks
        BOOST_TEST(!client.handshake());
        BOOST_TEST(contains(client.error(), "no application protocol"), client.error());
    }
    // None of that troubled the server.
    http::Client client = trusting_client();
    BOOST_TEST(client.get(url(server, "/after")).body == "GET /after");
}

BOOST_AUTO_TEST_CASE(sessions_resume_and_survive_a_reload) {
    test::TestServer server([](http::Server& s) {
        serve_tls(s);
        s.on_receive(test::echo_path);
    });
    for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
        BOOST_TEST_CONTEXT("TLS version " << std::hex << version) {
            SSL_SESSION* session = nullptr;
            {
                TlsClient first(server.port(), {.min_version = version, .max_version = version});
                BOOST_REQUIRE_MESSAGE(first.handshake(), first.error());
                BOOST_TEST(!first.resumed());
                first.send(request("/"));
                first.read_responses(1);  // a TLS 1.3 ticket comes after the handshake
                session = first.session();
            }
            BOOST_REQUIRE(session);
            {
                TlsClient second(server.port(), {.min_version = version, .max_version = version, .session = session});
                BOOST_REQUIRE_MESSAGE(second.handshake(), second.error());
                BOOST_TEST(second.resumed());
            }
            server.server().reload_tls();
            {
                TlsClient third(server.port(), {.min_version = version, .max_version = version, .session = session});
                BOOST_REQUIRE_MESSAGE(third.handshake(), third.error());
                BOOST_TEST(third.resumed());  // the ticket keys outlive the context
                third.send(request("/resumed"));
                BOOST_TEST(contains(third.read_responses(1), "GET /resumed"));
            }
            SSL_SESSION_free(session);
        }
    }
}

BOOST_AUTO_TEST_CASE(reload_serves_the_new_certificate_without_dropping_connections) {
    const TestCertificates& certificates = TestCertificates::get();
    test::TempDir dir;
    const auto certificate = dir.path() / "server.pem";
    const auto key = dir.path() / "server.key";
    std::filesystem::copy_file(certificates.pem("localhost"), certificate);
    std::filesystem::copy_file(certificates.key("localhost"), key);
    test::TestServer server([&](http::Server& s) {
        s.tls_certificate = certificate.string();
        s.tls_private_key = key.string();
        s.on_receive(test::echo_path);
    });

    TlsClient open(server.port());
    BOOST_REQUIRE_MESSAGE(open.handshake(), open.error());
    BOOST_TEST(open.peer_name() == "localhost");

    // Renewed: another certificate (by the same CA) in the same files.
    std::filesystem::copy_file(certificates.pem("other"), certificate, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(certificates.key("other"), key, std::filesystem::copy_options::overwrite_existing);
    server.server().reload_tls();
    {
        TlsClient fresh(server.port(), {.host = "other.test"});
        BOOST_REQUIRE_MESSAGE(fresh.handshake(), fresh.error());
        BOOST_TEST(fresh.peer_name() == "other");
    }
    open.send(request("/still-open"));  // the connection made before the reload goes on
    BOOST_TEST(contains(open.read_responses(1), "GET /still-open"));

    // A broken key: reload refuses it, saying which file, and the server keeps the last good pair.
    std::ofstream(key, std::ios::trunc) << "not a key\n";
    try {
        server.server().reload_tls();
        BOOST_ERROR("reload_tls() accepted a broken key");
    } catch (const std::runtime_error& error) {
        BOOST_TEST(contains(error.what(), key.string()), error.what());
    }
    TlsClient after(server.port(), {.host = "other.test"});
    BOOST_REQUIRE_MESSAGE(after.handshake(), after.error());
    BOOST_TEST(after.peer_name() == "other");
}

BOOST_AUTO_TEST_CASE(startup_errors_say_which_file_and_why) {
    const TestCertificates& certificates = TestCertificates::get();
    const std::string missing = start_error([](http::Server& s) {
        s.tls_certificate = "/nonexistent/cert.pem";
        s.tls_private_key = TestCertificates::get().key("localhost");
    });
    BOOST_TEST(contains(missing, "'/nonexistent/cert.pem' cannot be read: No such file or directory"), missing);

    const std::string mismatch = start_error([&](http::Server& s) {
        s.tls_certificate = certificates.pem("localhost");
        s.tls_private_key = certificates.key("other");
    });
    BOOST_TEST(contains(mismatch, "does not match the certificate"), mismatch);

    const std::string not_pem = start_error([&](http::Server& s) {
        s.tls_certificate = certificates.key("localhost");  // a key where the certificate goes
        s.tls_private_key = certificates.key("localhost");
    });
    BOOST_TEST(contains(not_pem, "holds no usable PEM certificate"), not_pem);

    const std::string half = start_error([&](http::Server& s) { s.tls_certificate = certificates.pem("localhost"); });
    BOOST_TEST(contains(half, "set together"), half);

    BOOST_TEST(start_error([&](http::Server& s) { serve_tls(s); }).empty());

    http::Server plain(0);
    plain.io_threads = 1;
    plain.start();
    BOOST_CHECK_THROW(plain.reload_tls(), std::logic_error);
    plain.close();
    plain.wait();
}

BOOST_AUTO_TEST_CASE(what_is_not_tls_gets_an_answer_or_a_close_and_the_server_goes_on) {
    test::TestServer server([](http::Server& s) {
        serve_tls(s);
        s.read_timeout = std::chrono::milliseconds(300);
        s.on_receive(test::echo_path);
    });
    {
        // Plain HTTP to the HTTPS port: a 400 in the clear, as nginx answers.
        test::RawConnection plain(server.port());
        plain.send(request("/"));
        const std::string answer = plain.read_until_close();
        BOOST_TEST(answer.starts_with("HTTP/1.1 400 Bad Request\r\n"), answer);
        BOOST_TEST(contains(answer, "a plain HTTP request was sent to an HTTPS port"));
    }
    {
        // A handshake record of garbage: an alert, and the connection closes.
        test::RawConnection garbage(server.port());
        garbage.send(std::string("\x16\x03\x01\x00\x20", 5) + random_bytes(32));
        const std::string answer = garbage.read_until_close();
        BOOST_TEST(!answer.empty());
        BOOST_TEST(answer[0] == '\x15');  // an alert record
    }
    {
        // A client that connects and never says hello is let go after read_timeout.
        test::RawConnection silent(server.port());
        BOOST_TEST(silent.read_until_close().empty());
    }
    {
        // Half a ClientHello, then silence: also let go.
        test::RawConnection stalled(server.port());
        stalled.send(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
        BOOST_TEST(stalled.read_until_close().empty());
    }
    http::Client client = trusting_client();
    BOOST_TEST(client.get(url(server, "/after")).body == "GET /after");
}

BOOST_AUTO_TEST_CASE(pipelined_requests_are_answered_in_order) {
    test::TestServer server([](http::Server& s) {
        serve_tls(s);
        s.on_receive(test::echo_path);
    });
    TlsClient client(server.port());
    BOOST_REQUIRE_MESSAGE(client.handshake(), client.error());
    client.send(request("/1") + request("/2") + request("/3"));
    const std::string answers = client.read_responses(3);
    const std::size_t one = answers.find("GET /1"), two = answers.find("GET /2"), three = answers.find("GET /3");
    BOOST_TEST(one != std::string::npos);
    BOOST_TEST(two != std::string::npos);
    BOOST_TEST(three != std::string::npos);
    BOOST_TEST((one < two && two < three));
}

BOOST_AUTO_TEST_CASE(large_bodies_files_and_streams_cross_intact) {
    test::TempDir dir;
    const std::string file = random_bytes(3 * 1024 * 1024 + 17);
    std::ofstream(dir.path() / "data.bin", std::ios::binary) << file;
    const std::string upload = random_bytes(2 * 1024 * 1024 + 5);
    test::TestServer server([&](http::Server& s) {
        serve_tls(s);
        http::Router router;
        router.files("/files", dir.path().string());
        router.post("/upload", [&upload](http::Request& req, http::Response& res) {
            res.body = req.body == upload ? "same" : "differs: " + std::to_string(req.body.size());
        });
        router.get("/stream", [](http::Request&, http::Response& res) {
            http::BodyStream out = res.stream();
            out.on_drain([left = std::size_t{4 << 20}](http::BodyStream& body) mutable {
                while (left > 0 && body.room() > 0) {
                    const std::size_t n = std::min({left, body.room(), std::size_t{3000}});
                    body.write(std::string(n, static_cast<char>('a' + left % 26)));
                    left -= n;
                }
                if (left == 0)
                    body.close();
            });
        });
        s.on_receive(router);
    });
    http::Client client = trusting_client();
    const http::Response whole = client.get(url(server, "/files/data.bin"));
    BOOST_TEST(whole.status == http::Status::OK);
    BOOST_TEST((whole.body == file));
    const http::Response part = client.get(url(server, "/files/data.bin"), {{"Range", "bytes=1000000-2999999"}});
    BOOST_TEST(part.status == http::Status::PARTIAL_CONTENT);
    BOOST_TEST((part.body == file.substr(1000000, 2000000)));
    BOOST_TEST(client.post(url(server, "/upload"), upload, {{"Content-Type", "application/octet-stream"}}).body == "same");
    const http::Response streamed = client.get(url(server, "/stream"));
    BOOST_TEST(streamed.body.size() == std::size_t{4 << 20});
}

BOOST_AUTO_TEST_CASE(curl_speaks_https_to_it) {
    test::TestServer server([](http::Server& s) {
        serve_tls(s);
        s.http2 = false;
        s.on_receive([](http::Request& req, http::Response& res) { res.body = req.scheme + " " + req.http_version; });
    });
    const std::string ca = TestCertificates::get().pem("ca");
    int status = 0;
    const std::string out = test::run("curl -sS -v --cacert " + ca + " " + url(server, "/") + " 2>&1", status);
    BOOST_TEST(status == 0, out);
    BOOST_TEST(contains(out, "ALPN: server accepted http/1.1"), out);
    BOOST_TEST(contains(out, "SSL connection using TLSv1.3"), out);
    BOOST_TEST(contains(out, "https 1.1"), out);
    const std::string tls12 = test::run("curl -sS --tlsv1.2 --tls-max 1.2 --cacert " + ca + " " + url(server, "/") + " 2>&1", status);
    BOOST_TEST(status == 0, tls12);
    BOOST_TEST(tls12 == "https 1.1");
}

BOOST_AUTO_TEST_SUITE_END()
