// Status semantics end to end, our server to our client: every failure class comes back as the
// same class with its header fields and problem members; retries follow the dataset's rules.
#include <http/client.hpp>
#include <http/json.hpp>
#include <http/server.hpp>

#include "support/raw_server.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <charconv>
#include <typeinfo>

using namespace std::chrono_literals;

namespace {

// A value for each field the dataset ties to a status.
std::string sample_value(std::string_view field) {
    if (field == "Location")
        return "/elsewhere?x=1";
    if (field == "Allow")
        return "GET, HEAD, OPTIONS";
    if (field == "WWW-Authenticate" || field == "Proxy-Authenticate")
        return R"(Bearer realm="api", error="invalid_token")";
    if (field == "Retry-After")
        return "120";
    if (field == "Content-Range")
        return "bytes */4096";
    if (field == "Upgrade")
        return "HTTP/2.0";
    return "sample";
}

http::Headers sample_fields(http::Status status) {
    http::Headers fields;
    if (const http::StatusInfo* info = http::status_info(status))
        for (const http::StatusHeader& header : info->headers)
            fields.add(std::string(header.name), sample_value(header.name));
    return fields;
}

// The class throw_failure() throws for `status`, as the server side sees it.
const std::type_info& failure_class(http::Status status) {
    try {
        http::throw_failure(status);
    } catch (const http::Failure& failure) {
        return typeid(failure);
    }
    throw std::logic_error("throw_failure returned");
}

int code_after(std::string_view path, std::string_view prefix) {
    int code = 0;
    std::from_chars(path.data() + prefix.size(), path.data() + path.size(), code);
    return code;
}

struct Fixture {
    std::atomic<int> attempts{0};
    test::TestServer server{[this](http::Server& s) {
        s.on_receive([this](http::Request& req, http::Response& res) {
            const std::string& p = req.path;
            if (p.starts_with("/fail/")) {
                const auto status = static_cast<http::Status>(code_after(p, "/fail/"));
                http::Problem problem;
                problem.type = "https://example.com/probs/" + std::to_string(static_cast<int>(status));
                problem.title = "A title of our own";
                problem.detail = "detail for " + http::to_string(status);
                problem.instance = "/fail/instances/1";
                problem.extensions["balance"] = "30";
                problem.extensions["accounts"] = R"(["/a/1","/a/2"])";
                http::throw_failure(status, "message for " + http::to_string(status), sample_fields(status), problem);
            }
            if (p == "/flaky") {  // 503 with Retry-After: 1, then success
                if (attempts++ == 0)
                    throw http::ServiceUnavailable(std::chrono::seconds(1));
                res.body = "ok after " + std::to_string(attempts.load());
                return;
            }
            if (p == "/bad-gateway") {
                ++attempts;
                throw http::BadGateway();
            }
            if (p == "/a-day") {
                if (attempts++ == 0)
                    throw http::TooManyRequests(std::chrono::seconds(86400));
                res.body = "done";
                return;
            }
            if (p == "/json") {
                const nlohmann::json value = http::read_json(req);
                http::write_json(res, {{"got", value}}, http::CREATED);
                return;
            }
            res.body = "fine";
        });
    }};
    std::string url(const std::string& path) { return "http://127.0.0.1:" + std::to_string(server.port()) + path; }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(status_semantics, Fixture)

BOOST_AUTO_TEST_CASE(every_failure_comes_back_as_itself) {
    http::Client client;
    client.follow_redirect = false;
    int checked = 0;
    for (const http::StatusInfo& info : http::statuses()) {
        if (info.code() < 300)
            continue;
        BOOST_TEST_CONTEXT("status " << info.code()) {
            const http::Response r = client.get(url("/fail/" + std::to_string(info.code())));
            BOOST_TEST(r.status == info.status);
            try {
                r.raise_failure();
            } catch (const http::Failure& e) {
                ++checked;
                BOOST_TEST((typeid(e) == failure_class(info.status)));
                BOOST_TEST((e.status() == info.status));
                for (const http::StatusHeader& header : info.headers)
                    BOOST_TEST(e.headers().get(header.name) == sample_value(header.name));
                if (info.status == http::NOT_MODIFIED)
                    continue;  // a 304 has no content, so no problem details either
                BOOST_TEST(e.what() == "detail for " + http::to_string(info.status));
                const http::Problem& p = e.problem();
                BOOST_TEST(p.type == "https://example.com/probs/" + std::to_string(info.code()));
                BOOST_TEST(p.title == "A title of our own");
                BOOST_TEST((p.status == info.status));
                BOOST_TEST(p.instance == "/fail/instances/1");
                BOOST_TEST(p.extensions.size() == 2u);
                BOOST_TEST(p.extensions.at("balance") == "30");
                BOOST_TEST(p.extensions.at("accounts") == R"(["/a/1","/a/2"])");
            }
        }
    }
    BOOST_TEST(checked == 79);  // every 3xx-5xx status of the dataset
}

BOOST_AUTO_TEST_CASE(typed_accessors_on_the_client) {
    http::Client client;
    client.follow_redirect = false;
    auto failure_of = [&](int code) -> std::exception_ptr {
        try {
            client.get(url("/fail/" + std::to_string(code))).raise_failure();
        } catch (const http::Failure&) {
            return std::current_exception();
        }
        return nullptr;
    };
    try {
        std::rethrow_exception(failure_of(405));
    } catch (const http::MethodNotAllowed& e) {
        BOOST_TEST((e.allowed_methods() == std::vector<std::string>{"GET", "HEAD", "OPTIONS"}));
    }
    try {
        std::rethrow_exception(failure_of(429));
    } catch (const http::TooManyRequests& e) {
        BOOST_REQUIRE(e.retry_after().has_value());
        BOOST_TEST(e.retry_after()->count() == 120);
    }
    try {
        std::rethrow_exception(failure_of(416));
    } catch (const http::RangeNotSatisfiable& e) {
        BOOST_REQUIRE(e.complete_length().has_value());
        BOOST_TEST(*e.complete_length() == 4096u);
    }
    try {
        std::rethrow_exception(failure_of(308));
    } catch (const http::PermanentRedirect& e) {
        BOOST_TEST(e.location() == "/elsewhere?x=1");
    }
    try {
        std::rethrow_exception(failure_of(401));
    } catch (const http::Unauthorized& e) {
        BOOST_TEST(e.challenge() == R"(Bearer realm="api", error="invalid_token")");
    }
}

BOOST_AUTO_TEST_CASE(retry_after_as_a_date) {
    // A Retry-After HTTP-date becomes the seconds left until it.
    const auto in_a_minute = std::chrono::system_clock::now() + 60s;
    test::RawServer raw([&](int fd) {
        test::RawServer::read_head(fd);
        test::RawServer::send_all(fd, "HTTP/1.1 503 Service Unavailable\r\nRetry-After: " + http::format_http_date(in_a_minute) +
                                          "\r\nContent-Length: 0\r\n\r\n");
    });
    try {
        http::get(raw.url()).raise_for_status();
        BOOST_FAIL("a 503 must throw");
    } catch (const http::ServiceUnavailable& e) {
        BOOST_REQUIRE(e.retry_after().has_value());
        BOOST_TEST(e.retry_after()->count() >= 58);
        BOOST_TEST(e.retry_after()->count() <= 61);
        BOOST_TEST(e.what() == std::string("Service Unavailable"));
    }
}

BOOST_AUTO_TEST_CASE(a_malformed_problem_still_gives_the_typed_failure) {
    test::RawServer raw([](int fd) {
        test::RawServer::read_head(fd);
        test::RawServer::send_all(fd, "HTTP/1.1 409 Conflict\r\nContent-Type: application/problem+json\r\n"
                                      "Content-Length: 17\r\n\r\n{\"detail\": broken");
    });
    try {
        http::get(raw.url()).raise_for_status();
        BOOST_FAIL("a 409 must throw");
    } catch (const http::Conflict& e) {
        BOOST_TEST(e.what() == std::string("Conflict"));
        BOOST_TEST(e.problem().detail == "Conflict");
    }
}

BOOST_AUTO_TEST_CASE(a_503_with_retry_after_is_retried_after_it) {
    http::Client client;
    client.retries = 2;
    const auto started = std::chrono::steady_clock::now();
    const http::Response r = client.get(url("/flaky"));
    BOOST_TEST(r.status == http::OK);
    BOOST_TEST(r.body == "ok after 2");
    BOOST_TEST((std::chrono::steady_clock::now() - started >= 1s));  // it waited as asked
}

BOOST_AUTO_TEST_CASE(a_502_is_retried_for_get_not_for_post) {
    http::Client client;
    client.retries = 2;
    client.max_retry_after = 0s;  // no wait: the count is what matters
    BOOST_TEST(client.post(url("/bad-gateway"), "x=1").status == http::BAD_GATEWAY);
    BOOST_TEST(attempts == 1);
    attempts = 0;
    BOOST_TEST(client.get(url("/bad-gateway")).status == http::BAD_GATEWAY);
    BOOST_TEST(attempts == 3);  // the first try and two retries
    attempts = 0;
    client.retries = 0;  // the default: no retry at all
    BOOST_TEST(client.get(url("/bad-gateway")).status == http::BAD_GATEWAY);
    BOOST_TEST(attempts == 1);
}

BOOST_AUTO_TEST_CASE(max_retry_after_caps_a_hostile_retry_after) {
    http::Client client;
    client.retries = 1;
    client.max_retry_after = 1s;
    const auto started = std::chrono::steady_clock::now();
    const http::Response r = client.get(url("/a-day"));  // Retry-After: 86400
    BOOST_TEST(r.body == "done");
    BOOST_TEST(attempts == 2);
    BOOST_TEST((std::chrono::steady_clock::now() - started < 30s));  // a day would be a hang
}

BOOST_AUTO_TEST_CASE(a_connection_failure_is_retried_for_idempotent_methods) {
    std::atomic<int> connections{0};
    test::RawServer raw([&](int fd) {
        test::RawServer::read_head(fd);
        if (connections++ == 0)
            return;  // closed without a response
        test::RawServer::send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    });
    http::Client client;
    client.retries = 1;
    client.max_retry_after = 0s;
    BOOST_TEST(client.get(raw.url()).body == "ok");
    BOOST_TEST(connections == 2);
    connections = 0;
    BOOST_CHECK_THROW(client.post(raw.url(), "x"), http::TransportError);  // not idempotent: not repeated
    BOOST_TEST(connections == 1);
}

BOOST_AUTO_TEST_CASE(json_errors_the_client_can_read) {
    http::Client client;
    const http::Headers json{{"Content-Type", "application/json"}};
    const http::Response ok = client.post(url("/json"), R"({"a": [1, 2]})", json);
    BOOST_TEST(ok.status == http::CREATED);
    BOOST_TEST(ok.body == R"({"got":{"a":[1,2]}})");
    BOOST_TEST(ok.headers.get("Content-Type") == "application/json");

    auto failure_of = [&](std::string_view body, const http::Headers& headers) -> std::string {
        try {
            client.post(url("/json"), body, headers).raise_for_status();
        } catch (const http::UnsupportedMediaType& e) {
            return "415 " + std::string(e.what());
        } catch (const http::BadRequest& e) {
            return "400 " + std::string(e.what());
        }
        return "no failure";
    };
    BOOST_TEST(failure_of("{}", {{"Content-Type", "text/plain"}}) == "415 the body must be JSON, not text/plain");
    BOOST_TEST(failure_of(R"({"a": [1, 2,, 3]})", json).starts_with("400 the body is not valid JSON: parse error at line 1, column 13"));
    BOOST_TEST(failure_of(std::string(300, '[') + std::string(300, ']'), json) ==
               "400 the JSON body nests deeper than 256 levels");
    BOOST_TEST(client.post(url("/json"), R"({"type": "x"})", {{"Content-Type", "application/problem+json; charset=utf-8"}}).status ==
               http::CREATED);  // a +json type is JSON
}

BOOST_AUTO_TEST_SUITE_END()
