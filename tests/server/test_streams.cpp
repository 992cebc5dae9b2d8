// Streamed response bodies and Server-Sent Events, over real sockets: framing, producers on other
// threads, backpressure, the bound past which a client that does not read is let go, and curl
// reading them.
#include <http/router.hpp>
#include <http/server.hpp>
#include <http/stream.hpp>

#include "support/eventually.hpp"
#include "support/nginx.hpp"
#include "support/process.hpp"
#include "support/raw_connection.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

using test::eventually;
using test::get;

BOOST_AUTO_TEST_SUITE(streams, *boost::unit_test::label("threads"))

BOOST_AUTO_TEST_CASE(a_body_written_from_another_thread_after_the_handler_returned) {
    std::vector<std::thread> producers;
    std::mutex mutex;
    std::atomic<int> failures{0};  // Boost.Test checks are for the test's own thread
    test::TestServer server([&](http::Server& s) {
        s.on_receive([&](http::Request& req, http::Response& res) {
            if (req.path != "/stream") {
                res.body = "plain";
                return;
            }
            res.write("first ");  // what the body held goes first
            http::BodyStream out = res.stream();
            std::lock_guard lock(mutex);
            producers.emplace_back([out, &failures]() mutable {
                for (int i = 0; i < 100; ++i) {
                    failures += !out.write("line " + std::to_string(i) + "\n");
                    if (i % 10 == 0)
                        std::this_thread::sleep_for(1ms);
                }
                out.close();
                failures += out.write("late");  // closed: nothing more
            });
        });
    });
    test::RawConnection connection(server.port());
    connection.send(get("/stream") + get("/after"));  // pipelined: the next waits for the stream
    const test::RawResponse r = connection.read_response();
    BOOST_TEST(r.header("Transfer-Encoding") == "chunked");
    BOOST_TEST(r.header("Content-Length") == "<absent>");
    std::string expected = "first ";
    for (int i = 0; i < 100; ++i)
        expected += "line " + std::to_string(i) + "\n";
    BOOST_TEST(r.body == expected);
    BOOST_TEST(connection.read_response().body == "plain");  // the connection goes on
    std::lock_guard lock(mutex);
    for (auto& producer : producers)
        producer.join();
    BOOST_TEST(failures == 0);
}

BOOST_AUTO_TEST_CASE(a_declared_length_is_kept_to) {
    std::promise<std::string> thrown;
    test::TestServer server([&](http::Server& s) {
        s.on_receive([&](http::Request& req, http::Response& res) {
            res.headers.set("Content-Length", "10");
            http::BodyStream out = res.stream();
            out.write("01234");
            if (req.path == "/over") {
                out.write("56789ab");  // the handler's own writes: cut, and reported
                return;
            }
            if (req.path == "/short") {
                out.close();  // 5 of 10 bytes: the connection cannot be reused
                return;
            }
            std::thread([out, &thrown]() mutable {
                out.write("56789");
                try {
                    out.write("x");
                    thrown.set_value("nothing");
                } catch (const std::length_error& error) {
                    thrown.set_value(error.what());
                }
            }).detach();
        });
    });
    const test::RawResponse r = test::exchange(server.port(), get("/full"));
    BOOST_TEST(r.header("Content-Length") == "10");
    BOOST_TEST(r.header("Transfer-Encoding") == "<absent>");
    BOOST_TEST(r.body == "0123456789");
    BOOST_TEST(thrown.get_future().get().find("remain of the declared Content-Length") != std::string::npos);

    BOOST_TEST(test::exchange(server.port(), get("/over")).body == "0123456789");
    const std::vector<std::string> errors = server.take_errors();
    BOOST_REQUIRE(errors.size() == 1u);
    BOOST_TEST(errors[0].find("wrote 2 bytes to a stream past its Content-Length") != std::string::npos);

    test::RawConnection connection(server.port());
    connection.send(get("/short"));
    const std::string raw = connection.read_until_close();  // closed after 5 bytes
    BOOST_TEST(raw.ends_with("\r\n\r\n01234"));
}

BOOST_AUTO_TEST_CASE(http_1_0_head_and_no_content) {
    test::TestServer server([&](http::Server& s) {
        s.on_receive([&](http::Request& req, http::Response& res) {
            if (req.path == "/204")
                res.status = http::NO_CONTENT;
            http::BodyStream out = res.stream();
            out.write("streamed");
            std::thread([out]() mutable {
                std::this_thread::sleep_for(10ms);
                out.write(" body");
            }).detach();
        });
    });
    // HTTP/1.0 has no chunked coding: the end of the connection ends the body.
    test::RawConnection old(server.port());
    old.send("GET /s HTTP/1.0\r\n\r\n");
    const std::string raw = old.read_until_close();
    BOOST_TEST(raw.find("Transfer-Encoding") == std::string::npos);
    BOOST_TEST(raw.find("Connection: close") != std::string::npos);
    BOOST_TEST(raw.ends_with("\r\n\r\nstreamed body"));

    test::RawConnection connection(server.port());
    connection.send("HEAD /s HTTP/1.1\r\nHost: t\r\n\r\n" + get("/204") + get("/s"));
    const test::RawResponse head = connection.read_response(true);
    BOOST_TEST(head.status == 200);
    BOOST_TEST(head.header("Transfer-Encoding") == "chunked");
    const test::RawResponse none = connection.read_response();
    BOOST_TEST(none.status == 204);
    BOOST_TEST(none.header("Transfer-Encoding") == "<absent>");
    BOOST_TEST(none.body.empty());
    BOOST_TEST(connection.read_response().body == "streamed body");  // and nothing leaked between
}

BOOST_AUTO_TEST_CASE(a_producer_sees_false_once_the_client_is_gone) {
    std::promise<bool> stopped;
    std::atomic<std::uint64_t> written{0};
    test::TestServer server([&](http::Server& s) {
        s.on_receive([&](http::Request&, http::Response& res) {
            http::BodyStream out = res.stream();
            std::thread([out, &stopped, &written]() mutable {
                // Bounded: 10 s of writing at most, false expected long before.
                const auto until = std::chrono::steady_clock::now() + 10s;
                while (std::chrono::steady_clock::now() < until) {
                    if (!out.write("tick\n")) {
                        stopped.set_value(true);
                        return;
                    }
                    ++written;
                    std::this_thread::sleep_for(1ms);
                }
                stopped.set_value(false);
            }).detach();
        });
    });
    {
        test::RawConnection connection(server.port());
        connection.send(get("/"));
        BOOST_TEST(eventually([&] { return written > 5; }));
    }  // the client closes
    auto result = stopped.get_future();
    BOOST_REQUIRE(result.wait_for(10s) == std::future_status::ready);
    BOOST_TEST(result.get());
}

BOOST_AUTO_TEST_CASE(a_fast_producer_is_slowed_to_the_reader) {
    // 64 MiB through a 64 KiB bound: while the client does not read, the producer must wait
    // (a stream that buffered everything would be done at once).
    static constexpr std::size_t total = 64 << 20, piece = 16 << 10;
    std::atomic<std::uint64_t> written{0};
    std::promise<void> finished;
    test::TestServer server([&](http::Server& s) {
        s.stream_buffer_size = 64 * 1024;
        s.on_receive([&](http::Request&, http::Response& res) {
            res.headers.set("Content-Length", std::to_string(total));
            http::BodyStream out = res.stream();
            std::thread([out, &written, &finished]() mutable {
                const std::string block(piece, 'b');
                for (std::size_t i = 0; i < total / piece && out.write(block); ++i)
                    written += piece;
                finished.set_value();
            }).detach();
        });
    });
    test::RawConnection connection(server.port());
    connection.send(get("/"));
    std::this_thread::sleep_for(300ms);  // not reading
    const std::uint64_t while_paused = written;
    BOOST_TEST(while_paused < total / 2, "written while the client did not read: " << while_paused);
    const test::RawResponse r = connection.read_response();
    BOOST_TEST(r.body.size() == total);
    BOOST_TEST((r.body.find_first_not_of('b') == std::string::npos));
    BOOST_REQUIRE(finished.get_future().wait_for(10s) == std::future_status::ready);
    BOOST_TEST(written == total);
}

BOOST_AUTO_TEST_CASE(an_event_client_that_stops_reading_is_let_go_at_the_bound) {
    std::promise<std::uint64_t> refused_after;
    test::TestServer server([&](http::Server& s) {
        s.stream_buffer_size = 64 * 1024;
        s.on_receive([&](http::Request&, http::Response& res) {
            http::EventStream events(res);
            std::thread([events, &refused_after]() mutable {
                const std::string data(1024, 'e');
                std::uint64_t sent = 0;
                // Bounded: 256 MiB, far past the bound and any socket buffer.
                while (sent < (256u << 20) && events.send(data))
                    sent += data.size();
                refused_after.set_value(sent);
            }).detach();
        });
    });
    test::RawConnection connection(server.port());
    connection.send(get("/events"));
    auto result = refused_after.get_future();
    BOOST_REQUIRE(result.wait_for(20s) == std::future_status::ready);
    const std::uint64_t sent = result.get();
    BOOST_TEST(sent < (256u << 20), "send() never returned false");
    // Never refused before the bound is (nearly: each event's framing counts too) full.
    BOOST_TEST(sent >= 60u * 1024, "refused before the bound: " << sent);
    BOOST_TEST(connection.closed_by_server() == false);  // the head and some events did arrive
    BOOST_TEST(connection.pending().starts_with("HTTP/1.1 200 OK"));
}

BOOST_AUTO_TEST_CASE(server_sent_events_read_by_curl) {
    std::mutex mutex;  // the handler's thread writes, the test's reads: TSan sees no socket order
    std::string last_event_id;
    std::atomic<int> refused{0};
    test::TestServer server([&](http::Server& s) {
        s.on_receive([&](http::Request& req, http::Response& res) {
            {
                std::lock_guard lock(mutex);
                last_event_id = std::string(req.headers.get("Last-Event-ID"));
            }
            http::EventStream events(res, 50ms);
            events.retry(1500ms);
            events.send("one line", "greeting", "7");
            events.send("two\nlines\r\nand a CR\rend");
            for (const auto& [event, id] : {std::pair<std::string, std::string>{"bad\nevent", ""}, {"", std::string("a\0b", 3)}}) {
                try {
                    events.send("x", event, id);
                } catch (const std::invalid_argument&) {
                    ++refused;
                }
            }
            std::thread([events]() mutable {
                // Quiet long enough for a heartbeat (deadlines are checked every 250 ms or less).
                std::this_thread::sleep_for(700ms);
                events.comment("bye");
                events.close();
            }).detach();
        });
    });
    const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/events";
    int status = 0;
    const std::string out = test::run("curl -sN -i --max-time 10 -H 'Last-Event-ID: 6' " + url, status);
    BOOST_TEST(status == 0);
    {
        std::lock_guard lock(mutex);
        BOOST_TEST(last_event_id == "6");
    }
    BOOST_TEST(refused == 2);
    BOOST_TEST(out.find("Content-Type: text/event-stream") != std::string::npos);
    BOOST_TEST(out.find("Cache-Control: no-cache") != std::string::npos);
    const std::string body = out.substr(out.find("\r\n\r\n") + 4);
    const std::string events = "retry: 1500\n\n"
                               "id: 7\nevent: greeting\ndata: one line\n\n"
                               "data: two\ndata: lines\ndata: and a CR\ndata: end\n\n";
    BOOST_TEST(body.starts_with(events));
    BOOST_TEST(body.find(":\n\n", events.size()) != std::string::npos);  // a heartbeat
    BOOST_TEST(body.ends_with(": bye\n\n"));
}

BOOST_AUTO_TEST_CASE(a_failure_after_the_stream_began_is_sent_instead) {
    std::promise<bool> write_after;
    test::TestServer server([&](http::Server& s) {
        s.on_receive([&](http::Request&, http::Response& res) {
            http::BodyStream out = res.stream();
            out.write("partial");
            std::thread([out, &write_after]() mutable {
                std::this_thread::sleep_for(50ms);
                write_after.set_value(out.write("more"));
            }).detach();
            throw http::ServiceUnavailable("not now");
        });
    });
    const test::RawResponse r = test::exchange(server.port(), get("/"));
    BOOST_TEST(r.status == 503);
    BOOST_TEST(r.body.find("not now") != std::string::npos);
    BOOST_TEST(!write_after.get_future().get());
}

BOOST_AUTO_TEST_CASE(closing_the_server_ends_event_streams) {
    auto server = std::make_unique<test::TestServer>([&](http::Server& s) {
        s.shutdown_timeout = 20s;  // an event stream must not hold the shutdown this long
        s.on_receive([](http::Request&, http::Response& res) {
            http::EventStream events(res);
            events.send("hello");
        });
    });
    test::RawConnection connection(server->port());
    connection.send(get("/"));
    BOOST_TEST(!connection.closed_by_server());  // waits for the head
    const auto started = std::chrono::steady_clock::now();
    server.reset();  // close() and wait()
    BOOST_TEST((std::chrono::steady_clock::now() - started < 10s));
    const test::RawResponse r = connection.read_response();  // complete: the last chunk was sent
    BOOST_TEST(r.body == "data: hello\n\n");
}

BOOST_AUTO_TEST_CASE(on_close_runs_once_when_the_client_leaves_or_the_stream_is_closed_and_the_log_says_so) {
    std::mutex mutex;
    std::vector<std::string> closed;  // the paths whose stream ended, as on_close saw them
    std::ostringstream log;
    test::TestServer server([&](http::Server& s) {
        s.access_log(log);
        s.on_receive([&](http::Request& req, http::Response& res) {
            http::EventStream events(res);
            events.on_close([&, path = req.path] {
                const std::lock_guard lock(mutex);
                closed.push_back(path);
            });
            events.send("hello");
            if (req.path == "/closed")
                events.close();
        });
    });
    const auto wait_for = [&](std::size_t count) {
        for (int i = 0; i < 500; ++i) {
            {
                const std::lock_guard lock(mutex);
                if (closed.size() >= count)
                    return;
            }
            std::this_thread::sleep_for(10ms);
        }
    };
    {
        test::RawConnection connection(server.port());
        connection.send(get("/closed"));
        BOOST_TEST(connection.read_response().body == "data: hello\n\n");
    }
    wait_for(1);
    {
        test::RawConnection leaving(server.port());
        leaving.send(get("/left"));
        BOOST_TEST(!leaving.read_some().empty());  // the head and the first event
    }  // the client goes
    wait_for(2);
    const std::lock_guard lock(mutex);
    BOOST_TEST(closed == (std::vector<std::string>{"/closed", "/left"}), closed.size());
    // Both are in the access log: the one the client ended too.
    BOOST_TEST(log.str().find("GET /closed") != std::string::npos);
    BOOST_TEST(log.str().find("GET /left") != std::string::npos, log.str());
}

BOOST_AUTO_TEST_CASE(a_producer_without_a_thread) {
    // on_drain makes the body as the client takes it: 8 MiB through a 64 KiB bound.
    std::atomic<int> failures{0};
    test::TestServer server([&](http::Server& s) {
        s.stream_buffer_size = 64 * 1024;
        s.on_receive([&failures](http::Request&, http::Response& res) {
            http::BodyStream out = res.stream();
            out.on_drain([&failures, left = std::size_t{8 << 20}, next = 'a'](http::BodyStream& body) mutable {
                while (left > 0 && body.room() > 0) {
                    const std::size_t n = std::min({left, body.room(), std::size_t{1000}});
                    failures += !body.write(std::string(n, next));
                    next = next == 'z' ? 'a' : static_cast<char>(next + 1);
                    left -= n;
                }
                if (left == 0)
                    body.close();
            });
        });
    });
    const test::RawResponse r = test::exchange(server.port(), get("/"));
    BOOST_TEST(r.body.size() == 8u << 20);
    BOOST_TEST(r.body.substr(0, 2000) == std::string(1000, 'a') + std::string(1000, 'b'));
    BOOST_TEST(failures == 0);
}

BOOST_AUTO_TEST_CASE(the_bound_at_and_past_it_on_the_io_thread) {
    // On the I/O thread nothing may wait: a write up to room() goes, one past the bound lets the
    // client go (it is not keeping up) and returns false.
    std::atomic<int> at_the_bound{-1}, past_it{-1};
    test::TestServer server([&](http::Server& s) {
        s.stream_buffer_size = 64 * 1024;
        s.on_receive([&](http::Request&, http::Response& res) {
            http::BodyStream out = res.stream();
            out.on_drain([&](http::BodyStream& body) {
                if (at_the_bound != -1)
                    return;
                at_the_bound = body.write(std::string(body.room(), 'x'));
                past_it = body.write(std::string(64 * 1024, 'y'));
            });
        });
    });
    test::RawConnection connection(server.port());
    connection.send(get("/"));
    const std::string raw = connection.read_until_close();
    BOOST_TEST(at_the_bound == 1);
    BOOST_TEST(past_it == 0);
    BOOST_TEST(raw.find("0\r\n\r\n") == std::string::npos);  // never completed (reset)
}

BOOST_AUTO_TEST_SUITE_END()

// Request bodies taken as they arrive.
namespace {

std::uint64_t fnv1a(std::string_view data, std::uint64_t hash = 14695981039346656037ull) {
    for (const unsigned char c : data)
        hash = (hash ^ c) * 1099511628211ull;
    return hash;
}

struct Sum {
    std::uint64_t size = 0;
    std::uint64_t hash = 14695981039346656037ull;
    std::size_t largest_piece = 0;
};

// A router with a streamed upload route, a buffered one, and one whose sink refuses.
http::Router upload_routes() {
    http::Router router;
    router.stream_body(
        "PUT", "/stream/{name}",
        [](http::Request& req) -> http::BodySink {
            Sum& sum = req.locals.emplace<Sum>();
            return [&sum](std::string_view piece) {
                sum.size += piece.size();
                sum.hash = fnv1a(piece, sum.hash);
                sum.largest_piece = std::max(sum.largest_piece, piece.size());
            };
        },
        [](http::Request& req, http::Response& res) {
            const Sum* sum = std::any_cast<Sum>(&req.locals);
            res.body = req.params.at("name") + " " + (sum ? std::to_string(sum->size) + " " + std::to_string(sum->hash) +
                                                                 " " + std::to_string(sum->largest_piece)
                                                           : std::string("none")) +
                       " body:" + std::to_string(req.body.size());
        });
    router.put("/buffered", [](http::Request& req, http::Response& res) { res.body = std::to_string(req.body.size()); });
    router.stream_body(
        "PUT", "/refuse",
        [](http::Request&) -> http::BodySink {
            return [seen = std::uint64_t{0}](std::string_view piece) mutable {
                seen += piece.size();
                if (seen > 100000)
                    throw http::ContentTooLarge("no more than 100000 bytes here");
            };
        },
        [](http::Request&, http::Response& res) { res.body = "fine"; });
    return router;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(streamed_request_bodies)

BOOST_AUTO_TEST_CASE(an_upload_larger_than_max_body_size_in_pieces) {
    test::TestServer server([](http::Server& s) {
        s.max_body_size = 64 * 1024;
        s.on_receive(upload_routes());
    });
    std::string content(5 * 1024 * 1024 + 3, '\0');
    for (std::size_t i = 0; i < content.size(); ++i)
        content[i] = static_cast<char>(i * 7 + i / 4096);
    const std::string expected = std::to_string(content.size()) + " " + std::to_string(fnv1a(content));
    test::TempDir dir;
    const std::string file = (dir.path() / "upload.bin").string();
    std::ofstream(file, std::ios::binary) << content;
    const std::string url = "http://127.0.0.1:" + std::to_string(server.port());

    // curl, with a length and chunked.
    int status = 0;
    std::string out = test::run("curl -s --max-time 20 -T " + file + " " + url + "/stream/a", status);
    BOOST_TEST(status == 0);
    BOOST_TEST(out.starts_with("a " + expected + " "));
    BOOST_TEST(out.ends_with(" body:0"));  // never in req.body
    // Pieces are what arrived, not the whole: memory stays constant.
    const std::size_t largest = std::stoul(out.substr(out.rfind(' ', out.rfind(" body:") - 1) + 1));
    BOOST_TEST(largest <= 1024u * 1024u);
    out = test::run("curl -s --max-time 20 -H 'Transfer-Encoding: chunked' -T " + file + " " + url + "/stream/b", status);
    BOOST_TEST(out.starts_with("b " + expected + " "));

    // The buffered route keeps max_body_size; no content means no sink, and the handler still runs.
    BOOST_TEST(test::run("curl -s -o /dev/null -w '%{http_code}' --max-time 20 -T " + file + " " + url + "/buffered", status) == "413");
    BOOST_TEST(test::exchange(server.port(), "PUT /stream/c HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n").body == "c none body:0");
}

BOOST_AUTO_TEST_CASE(a_sink_that_refuses_and_a_client_that_stops_sending) {
    test::TestServer server([](http::Server& s) {
        s.read_timeout = std::chrono::milliseconds(300);
        s.on_receive(upload_routes());
    });
    // A Failure from the sink is the response; the connection closes after it.
    test::RawConnection refused(server.port());
    refused.send("PUT /refuse HTTP/1.1\r\nHost: t\r\nContent-Length: 200000\r\n\r\n" + std::string(200000, 'r'));
    const test::RawResponse r = refused.read_response();
    BOOST_TEST(r.status == 413);
    BOOST_TEST(r.body.find("no more than 100000 bytes here") != std::string::npos);
    BOOST_TEST(r.header("Connection") == "close");

    // A client that stops sending gets 408, as for a buffered body.
    test::RawConnection stalled(server.port());
    stalled.send("PUT /stream/s HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n0123456789");
    BOOST_TEST(stalled.read_response().status == 408);

    // And the server goes on.
    BOOST_TEST(test::exchange(server.port(), "PUT /stream/ok HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc")
                   .body.starts_with("ok 3 "));
}

BOOST_AUTO_TEST_SUITE_END()
