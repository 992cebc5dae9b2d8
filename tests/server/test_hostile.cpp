// Hostile and careless clients: none of them stops the server answering a normal request.
#include <http/server.hpp>

#include "support/raw_connection.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/resource.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace std::chrono_literals;

namespace {

struct Fixture {
    std::atomic<int> handled{0};
    std::mutex mutex;
    http::Request last;
    test::TestServer server{[this](http::Server& s) {
        s.read_timeout = 500ms;
        s.write_timeout = 500ms;
        s.max_upload_in_memory = 64 * 1024;
        s.max_body_size = 64 * 1024 * 1024;
        s.on_receive([this](http::Request& req, http::Response& res) {
            ++handled;
            {
                const std::lock_guard lock(mutex);
                last = req;
            }
            if (req.path == "/big")
                res.body.assign(8 * 1024 * 1024, 'b');
            else
                res.body = "ok " + req.path;
        });
    }};

    // A normal request still gets its answer.
    void still_serving() {
        const auto r = test::exchange(server.port(), test::get("/normal"));
        BOOST_TEST(r.body == "ok /normal");
    }
};

std::string multipart_upload(std::size_t size, const std::string& boundary = "bNd") {
    std::string body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"big.bin\"\r\n"
                       "Content-Type: application/octet-stream\r\n\r\n";
    for (std::size_t i = 0; i < size; ++i)
        body += static_cast<char>('a' + i % 26);
    body += "\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--" + boundary + "--\r\n";
    return "POST /upload HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; boundary=" + boundary +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(hostile, Fixture, *boost::unit_test::label("threads"))

BOOST_AUTO_TEST_CASE(slow_post_body) {
    // A byte every 100 ms never trips a per-read timeout of 500 ms; min_body_rate (1 KiB/s)
    // still ends it, with 408, after about read_timeout.
    test::RawConnection c(server.port());
    c.send("POST /slow HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\n");
    int sent = 0;
    while (sent < 100 && c.send("x")) {
        ++sent;
        ::usleep(100 * 1000);
        pollfd p{c.fd(), POLLIN, 0};
        if (::poll(&p, 1, 0) > 0)
            break;
    }
    BOOST_TEST(sent < 20);
    const auto r = c.read_response();
    BOOST_TEST(r.status == 408);
    BOOST_TEST(handled == 0);
    still_serving();
}

BOOST_AUTO_TEST_CASE(large_uploads_are_spooled_to_disk) {
    const auto r = test::exchange(server.port(), multipart_upload(1024 * 1024));
    BOOST_TEST(r.status == 200);
    std::string path;
    {
        const std::lock_guard lock(mutex);
        const http::UploadedFile& file = last.files.at("f");
        BOOST_TEST(!file.in_memory());
        BOOST_TEST(file.content.empty());
        BOOST_TEST(file.size == 1024u * 1024u);
        BOOST_TEST(std::filesystem::file_size(file.path) == 1024u * 1024u);
        const std::string bytes = file.read();
        BOOST_TEST(bytes.substr(0, 5) == "abcde");
        BOOST_TEST(bytes.size() == 1024u * 1024u);
        BOOST_TEST(last.form.at("note") == "hello");
        BOOST_TEST(last.body.empty());
        path = file.path;
        last = http::Request();  // the last copy of the upload goes ...
    }
    BOOST_TEST(!std::filesystem::exists(path));  // ... and with it its file
    // A small one stays in memory.
    test::exchange(server.port(), multipart_upload(1000));
    const std::lock_guard lock(mutex);
    BOOST_TEST(last.files.at("f").in_memory());
    BOOST_TEST(last.files.at("f").content.size() == 1000u);
}

BOOST_AUTO_TEST_CASE(a_huge_form_field_is_refused) {
    const std::string body = "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n" + std::string(100 * 1024, 'x') + "\r\n--b--";
    const auto r = test::exchange(server.port(), "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                                                 "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    BOOST_TEST(r.status == 413);
    still_serving();
}

BOOST_AUTO_TEST_CASE(abrupt_resets) {
    for (int round = 0; round < 20; ++round) {
        test::RawConnection c(server.port());
        if (round % 2 == 0) {
            c.send("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\npartial");  // mid-request
        } else {
            c.send(test::get("/big"));  // mid-response
            char some[1024];
            ::recv(c.fd(), some, sizeof some, 0);
        }
        const linger reset{1, 0};
        ::setsockopt(c.fd(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);  // close sends RST
    }
    still_serving();
}

BOOST_AUTO_TEST_CASE(pipelined_flood) {
    // 20,000 requests in one stream, read only after they are all sent: the server answers in
    // order, holding back while the client does not read, and serves others meanwhile.
    test::RawConnection c(server.port());
    std::string flood;
    for (int i = 0; i < 20000; ++i)
        flood += "GET /" + std::to_string(i) + " HTTP/1.1\r\nHost: h\r\n\r\n";
    std::thread sender([&] { c.send(flood); });
    std::this_thread::sleep_for(200ms);
    still_serving();
    int in_order = 0;
    for (int i = 0; i < 20000; ++i) {
        const auto r = c.try_read_response();
        if (!r)
            break;
        in_order += r->body == "ok /" + std::to_string(i);
    }
    sender.join();
    BOOST_TEST(in_order == 20000);
}

BOOST_AUTO_TEST_CASE(thousands_of_idle_connections) {
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    const int count = static_cast<int>(std::min<rlim_t>(3000, limit.rlim_cur / 2 - 100));
    std::vector<std::unique_ptr<test::RawConnection>> idle;
    for (int i = 0; i < count; ++i)
        idle.push_back(std::make_unique<test::RawConnection>(server.port()));
    still_serving();
    // Each of them still works.
    idle.front()->send(test::get("/first"));
    BOOST_TEST(idle.front()->read_response().body == "ok /first");
    idle.back()->send(test::get("/last"));
    BOOST_TEST(idle.back()->read_response().body == "ok /last");
}

BOOST_AUTO_TEST_CASE(huge_chunk_extensions) {
    test::RawConnection c(server.port());
    c.send("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1;" + std::string(100000, 'e'));
    const auto r = c.read_response();
    BOOST_TEST(r.status == 400);
    BOOST_TEST(r.body.find("chunk extensions too long") != std::string::npos);
    still_serving();
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(max_connections, *boost::unit_test::label("threads"))

BOOST_AUTO_TEST_CASE(one_too_many_gets_503) {
    test::TestServer server([](http::Server& s) {
        s.max_connections = 3;
        s.on_receive([](http::Request&, http::Response& res) { res.body = "ok"; });
    });
    std::vector<std::unique_ptr<test::RawConnection>> open;
    for (int i = 0; i < 3; ++i) {
        open.push_back(std::make_unique<test::RawConnection>(server.port()));
        open.back()->send(test::get("/"));
        BOOST_TEST(open.back()->read_response().body == "ok");
    }
    test::RawConnection extra(server.port());
    const auto refused = extra.read_response();
    BOOST_TEST(refused.status == 503);
    BOOST_TEST(refused.header("Retry-After") == "1");
    BOOST_TEST(extra.closed_by_server());
    open.pop_back();  // one leaves: there is room again
    for (int attempt = 0; attempt < 50; ++attempt) {
        const auto r = test::try_exchange(server.port(), test::get("/"));
        if (r && r->status == 200)
            return;
        std::this_thread::sleep_for(20ms);
    }
    BOOST_FAIL("a freed slot was never given to a new connection");
}

BOOST_AUTO_TEST_SUITE_END()
