// server.access_log(): a line per response, in either format, with client fields escaped.
#include <http/server.hpp>

#include "support/raw_connection.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

// g++ 12 with AddressSanitizer warns that std::regex's own std::function members "may be used
// uninitialized" (a false positive of its instrumented code, inside libstdc++).
#if defined(__SANITIZE_ADDRESS__) && defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <regex>
#include <sstream>

namespace {

// The lines written so far (the stream is written under the server's lock, read after the
// responses arrived: each line is written before its response is sent).
std::vector<std::string> lines_of(const std::ostringstream& log) {
    std::vector<std::string> lines;
    std::istringstream in(log.str());
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(access_log)

BOOST_AUTO_TEST_CASE(combined_log_format) {
    std::ostringstream log;
    {
        test::TestServer server([&](http::Server& s) {
            s.access_log(log);
            s.on_receive([](http::Request& req, http::Response& res) {
                if (req.path == "/missing")
                    throw http::NotFound();
                res.body = "hello";
            });
        });
        test::exchange(server.port(), test::get("/a?b=1", "Referer: http://x/\r\nUser-Agent: evil\" \t\\agent\r\n"));
        test::exchange(server.port(), test::get("/missing"));
        test::exchange(server.port(), "HEAD / HTTP/1.1\r\nHost: h\r\n\r\n", true);
        test::exchange(server.port(), "BAD REQUEST LINE\r\n\r\n");
    }
    const auto lines = lines_of(log);
    BOOST_REQUIRE(lines.size() == 4u);
    const std::regex first(R"(^127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET /a\?b=1 HTTP/1\.1" 200 5 )"
                           R"("http://x/" "evil\\x22 \\x09\\x5Cagent"$)");
    BOOST_TEST(std::regex_match(lines[0], first), lines[0]);
    BOOST_TEST(lines[1].find("\"GET /missing HTTP/1.1\" 404 ") != std::string::npos);
    BOOST_TEST(lines[2].find("\"HEAD / HTTP/1.1\" 200 - ") != std::string::npos);  // no content sent
    BOOST_TEST(lines[3].find("\"-\" 400 ") != std::string::npos);                  // refused before it was whole
}

BOOST_AUTO_TEST_CASE(json_lines) {
    std::ostringstream log;
    {
        test::TestServer server([&](http::Server& s) {
            s.access_log(log, http::LogFormat::json);
            s.on_receive([](http::Request&, http::Response& res) { res.body = "hi"; });
        });
        test::exchange(server.port(), test::get("/j", "User-Agent: a\"b\r\n"));
    }
    const auto lines = lines_of(log);
    BOOST_REQUIRE(lines.size() == 1u);
    const std::regex line(R"(^\{"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","ip":"127\.0\.0\.1","method":"GET",)"
                          R"("target":"/j","version":"1\.1","status":200,"bytes":2,"duration_ms":\d+\.\d{3},)"
                          R"("user_agent":"a\\"b"\}$)");
    BOOST_TEST(std::regex_match(lines[0], line), lines[0]);
}

BOOST_AUTO_TEST_SUITE_END()
