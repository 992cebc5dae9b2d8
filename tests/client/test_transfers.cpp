// The client for real transfers: downloads to disk and uploads from disk with progress, a
// deadline for the whole request, trailers kept apart, and HTTP/1.0's lack of transfer codings.
#include <http/client.hpp>
#include <http/server.hpp>
#include <http/stream.hpp>

#include "site.hpp"
#include "support/raw_server.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <mutex>
#include <vector>
#include <fstream>
#include <sstream>

using namespace std::chrono_literals;
using Kind = http::TransportError::Kind;
namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(transfers)

BOOST_AUTO_TEST_CASE(download_to_disk_from_nginx) {
    const auto& site = test::Site::get();
    test::TempDir dir;
    const fs::path path = dir.path() / "large.bin";
    http::Client client;
    std::uint64_t calls = 0;
    http::Progress last;
    client.on_progress = [&](const http::Progress& p) {
        ++calls;
        last = p;
        return true;
    };
    const http::Response r = client.download(site.http("/large.bin"), path);
    BOOST_TEST(r.status == http::OK);
    BOOST_TEST(r.body.empty());  // the body went to the file
    BOOST_TEST((read_file(path) == site.large));
    BOOST_TEST(calls > 10u);
    BOOST_TEST(last.downloaded == site.large.size());
    BOOST_REQUIRE(last.download_total.has_value());
    BOOST_TEST(*last.download_total == site.large.size());
    // Asked uncoded: a compressible file arrives as it is stored.
    client.on_progress = nullptr;
    BOOST_TEST(client.download(site.http("/text.txt"), dir.path() / "text.txt").headers.get("Content-Encoding").empty());
    BOOST_TEST(read_file(dir.path() / "text.txt") == site.text);
}

BOOST_AUTO_TEST_CASE(progress_can_abort_and_leaves_no_file) {
    const auto& site = test::Site::get();
    test::TempDir dir;
    const fs::path path = dir.path() / "partial.bin";
    http::Client client;
    client.on_progress = [](const http::Progress& p) { return p.downloaded < 1024 * 1024; };
    try {
        client.download(site.http("/large.bin"), path);
        BOOST_FAIL("on_progress returning false must abort");
    } catch (const http::TransportError& e) {
        BOOST_TEST((e.kind() == Kind::aborted));
        BOOST_TEST(std::string(e.what()).find("on_progress asked to stop") != std::string::npos);
    }
    BOOST_TEST(!fs::exists(path));
    // And the client goes on working (the aborted connection is not reused).
    client.on_progress = nullptr;
    BOOST_TEST(client.get(site.http("/small.txt")).body == "small file\n");
}

BOOST_AUTO_TEST_CASE(upload_from_disk) {
    // What the server saw comes back in the response (not through a variable the test thread
    // shares with the server's).
    test::TestServer server([&](http::Server& s) {
        s.max_body_size = 16 * 1024 * 1024;
        s.on_receive([&](http::Request& req, http::Response& res) {
            res.headers.set("X-Content-Type-Seen", std::string(req.headers.get("Content-Type")));
            res.body = req.method + " " + std::to_string(req.body.size()) + " " + (req.body == std::string(req.body.size(), 'u') ? "intact" : "damaged");
        });
    });
    test::TempDir dir;
    const fs::path path = dir.path() / "upload.bin";
    std::ofstream(path, std::ios::binary) << std::string(5 * 1024 * 1024 + 7, 'u');
    http::Client client;
    http::Progress last;
    client.on_progress = [&](const http::Progress& p) {
        last = p;
        return true;
    };
    const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/up";
    const http::Response put = client.upload(url, path);
    BOOST_TEST(put.body == "PUT 5242887 intact");
    BOOST_TEST(put.headers.get("X-Content-Type-Seen") == "application/octet-stream");
    BOOST_TEST(last.uploaded == 5242887u);
    BOOST_REQUIRE(last.upload_total.has_value());
    BOOST_TEST(*last.upload_total == 5242887u);
    const http::Response post = client.upload(url, path, "POST", {{"Content-Type", "application/x-tar"}});
    BOOST_TEST(post.body == "POST 5242887 intact");
    BOOST_TEST(post.headers.get("X-Content-Type-Seen") == "application/x-tar");
    BOOST_CHECK_THROW(client.upload(url, dir.path() / "missing.bin"), http::TransportError);
}

BOOST_AUTO_TEST_CASE(the_whole_request_has_a_deadline) {
    // A server that drips a byte every 100 ms: each read is in time, the request never is.
    std::atomic<bool> stop{false};
    test::RawServer drip([&](int fd) {
        test::RawServer::read_head(fd);
        test::RawServer::send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
        for (int i = 0; i < 1000 && !stop; ++i) {
            test::RawServer::send_all(fd, "x");
            std::this_thread::sleep_for(100ms);
        }
    });
    http::Client client;
    client.timeout = 1s;
    const auto started = std::chrono::steady_clock::now();
    try {
        client.get(drip.url());
        BOOST_FAIL("a drip-fed response must hit client.timeout");
    } catch (const http::TransportError& e) {
        BOOST_TEST((e.kind() == Kind::timeout));
        BOOST_TEST(std::string(e.what()).find("client.timeout (1000 ms)") != std::string::npos);
    }
    const auto took = std::chrono::steady_clock::now() - started;
    stop = true;
    BOOST_TEST((took >= 1s));
    BOOST_TEST((took < 3s));  // bounded: the deadline is kept, not a read timeout per byte
}

BOOST_AUTO_TEST_CASE(trailers_stay_apart) {
    test::RawServer raw([](int fd) {
        test::RawServer::read_head(fd);
        test::RawServer::send_all(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
                                      "5\r\nhello\r\n0\r\nX-Checksum: 5d41\r\nSet-Cookie: planted=1\r\nLocation: /elsewhere\r\n\r\n");
    });
    http::Client client;
    const http::Response r = client.get(raw.url());
    BOOST_TEST(r.body == "hello");
    BOOST_TEST(r.redirects == 0);  // a Location in a trailer is not a redirect
    BOOST_TEST(r.trailers.get("X-Checksum") == "5d41");
    BOOST_TEST(r.trailers.count("Set-Cookie") == 1u);
    BOOST_TEST(r.cookies.empty());
    BOOST_TEST(!r.headers.contains("X-Checksum"));
    BOOST_TEST(!r.headers.contains("Location"));
}

BOOST_AUTO_TEST_CASE(http_1_0_with_transfer_encoding_reads_to_the_close) {
    std::atomic<int> connections{0};
    test::RawServer raw([&](int fd) {
        ++connections;
        test::RawServer::read_head(fd);
        // HTTP/1.0 has no chunked coding: what follows the head is the body, to the close.
        test::RawServer::send_all(fd, "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n"
                                      "5\r\nhello\r\n0\r\n\r\n");
    });
    http::Client client;
    BOOST_TEST(client.get(raw.url()).body == "5\r\nhello\r\n0\r\n\r\n");
    BOOST_TEST(client.get(raw.url()).body == "5\r\nhello\r\n0\r\n\r\n");
    BOOST_TEST(connections == 2);  // never reused
}

BOOST_AUTO_TEST_CASE(events_reconnect_with_the_last_event_id) {
    // Each connection gets three events after the one the client says it saw, then ends; the
    // client reconnects after the retry: delay the server asked for.
    std::mutex mutex;
    std::vector<std::string> asked_ids;
    test::TestServer server([&](http::Server& s) {
        s.on_receive([&](http::Request& req, http::Response& res) {
            if (req.path == "/gone") {
                res.status = http::NO_CONTENT;
                return;
            }
            if (req.path == "/missing")
                throw http::NotFound("no such stream");
            const std::string last(req.headers.get("Last-Event-ID"));
            {
                std::lock_guard lock(mutex);
                asked_ids.push_back(last);
            }
            http::EventStream events(res);
            events.retry(50ms);
            const int first = last.empty() ? 1 : std::stoi(last) + 1;
            for (int id = first; id < first + 3; ++id)
                events.send("event " + std::to_string(id) + "\nline two", id % 2 ? "odd" : "", std::to_string(id));
            events.close();
        });
    });
    const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
    http::Client client;
    std::vector<http::Event> seen;
    client.events(base + "/events", [&](const http::Event& e) {
        seen.push_back(e);
        return seen.size() < 7;
    });
    BOOST_REQUIRE(seen.size() == 7u);
    for (std::size_t i = 0; i < seen.size(); ++i) {
        BOOST_TEST(seen[i].id == std::to_string(i + 1));
        BOOST_TEST(seen[i].data == "event " + std::to_string(i + 1) + "\nline two");
        BOOST_TEST(seen[i].event == ((i + 1) % 2 ? "odd" : "message"));
    }
    {
        std::lock_guard lock(mutex);
        BOOST_TEST(asked_ids == (std::vector<std::string>{"", "3", "6"}), boost::test_tools::per_element());
    }
    // 204 says stop; a 404 is the typed failure; a body that is not an event stream is refused.
    int calls = 0;
    client.events(base + "/gone", [&](const http::Event&) { return ++calls > 0; });
    BOOST_TEST(calls == 0);
    BOOST_CHECK_THROW(client.events(base + "/missing", [](const http::Event&) { return true; }), http::NotFound);
}

BOOST_AUTO_TEST_CASE(events_end_at_client_timeout) {
    // A stream that never ends, and a client.timeout that ends the call.
    test::TestServer server([&](http::Server& s) {
        s.on_receive([&](http::Request&, http::Response& res) {
            http::EventStream events(res);
            events.send("only one");
        });
    });
    http::Client client;
    client.timeout = 500ms;
    client.receive_timeout = 200ms;  // quiet for this long: reconnect
    int seen = 0;
    const auto started = std::chrono::steady_clock::now();
    try {
        client.events("http://127.0.0.1:" + std::to_string(server.port()) + "/", [&](const http::Event&) {
            ++seen;
            return true;
        });
        BOOST_FAIL("client.timeout must end events()");
    } catch (const http::TransportError& e) {
        BOOST_TEST((e.kind() == Kind::timeout));
    }
    BOOST_TEST(seen >= 1);
    BOOST_TEST((std::chrono::steady_clock::now() - started < 5s));
    BOOST_TEST(client.timeout.count() == 500);  // restored
}

BOOST_AUTO_TEST_SUITE_END()
