// <http/failure.hpp> first: the header must compile on its own.
#include <http/failure.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <typeinfo>
#include <utility>

namespace {

std::string header(const http::Failure& failure, std::string_view name) {
    for (const auto& [key, value] : failure.headers())
        if (key == name)
            return value;
    return "<absent>";
}

template <class Base>
bool is_a(const http::Failure& failure) {
    return dynamic_cast<const Base*>(&failure) != nullptr;
}

// throw_failure(S) must throw exactly failure_for_t<S>, a subclass of its class base, with the
// phrase as its default message.
template <std::size_t I>
void check_typed_failure() {
    constexpr http::StatusInfo info = http::statuses()[I];
    if constexpr (info.code() >= 300) {
        using Expected = http::failure_for_t<info.status>;
        static_assert(Expected::status_code == info.status);
        BOOST_TEST_CONTEXT("status " << info.code()) {
            bool caught = false;
            try {
                http::throw_failure(info.status);
            } catch (const Expected& failure) {
                caught = true;
                BOOST_TEST((typeid(failure) == typeid(Expected)));
                BOOST_TEST((failure.status() == info.status));
                // The phrase; the problem's detail also says whose code a vendor's code is.
                BOOST_TEST(failure.what() == info.phrase);
                BOOST_TEST(failure.problem().detail == http::explain(info.status));
                BOOST_TEST((info.vendors.empty() == (failure.problem().detail == info.phrase)));
                BOOST_TEST(failure.problem().title == info.phrase);
                BOOST_TEST((failure.problem().status == info.status));
                if constexpr (info.code() < 400)
                    BOOST_TEST(is_a<http::Redirection>(failure));
                else if constexpr (info.code() < 500)
                    BOOST_TEST(is_a<http::ClientError>(failure));
                else
                    BOOST_TEST(is_a<http::ServerError>(failure));
            } catch (...) {
            }
            BOOST_TEST(caught);

            try {
                http::throw_failure(info.status, "custom message");
            } catch (const http::Failure& failure) {
                BOOST_TEST(failure.what() == std::string("custom message"));
            }
        }
    }
}

template <std::size_t... I>
void check_all_typed_failures(std::index_sequence<I...>) {
    (check_typed_failure<I>(), ...);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(failure)

BOOST_AUTO_TEST_CASE(every_failure_status_throws_its_own_class) {
    constexpr std::size_t count = http::statuses().size();
    check_all_typed_failures(std::make_index_sequence<count>{});
}

BOOST_AUTO_TEST_CASE(default_messages_are_phrases) {
    BOOST_TEST(http::NotFound().what() == std::string("Not Found"));
    BOOST_TEST(http::ImATeapot().what() == std::string("I'm a Teapot"));
    BOOST_TEST(http::ServiceUnavailable().what() == std::string("Service Unavailable"));
    BOOST_TEST(http::NotFound("No such user").what() == std::string("No such user"));
    // As in Python: Failure(message='Bad request', status=BAD_REQUEST).
    const http::Failure plain;
    BOOST_TEST(plain.what() == std::string("Bad request"));
    BOOST_TEST((plain.status() == http::BAD_REQUEST));
    BOOST_TEST(plain.headers().empty());
}

BOOST_AUTO_TEST_CASE(hierarchy) {
    static_assert(std::is_base_of_v<http::ClientError, http::NotFound>);
    static_assert(std::is_base_of_v<http::Failure, http::ClientError>);
    static_assert(std::is_base_of_v<std::runtime_error, http::Failure>);
    static_assert(std::is_base_of_v<http::Redirection, http::Found>);
    static_assert(std::is_base_of_v<http::ServerError, http::ServiceUnavailable>);
    static_assert(std::is_nothrow_copy_constructible_v<http::Failure>);
    // Alias names of a status name its class too.
    static_assert(std::is_same_v<http::PayloadTooLarge, http::ContentTooLarge>);
    static_assert(std::is_same_v<http::Teapot, http::ImATeapot>);
    static_assert(std::is_same_v<http::failure_for_t<http::NOT_FOUND>, http::NotFound>);

    try {
        throw http::NotFound("gone fishing");
    } catch (const http::ClientError& error) {
        BOOST_TEST((error.status() == http::NOT_FOUND));
        BOOST_TEST(error.what() == std::string("gone fishing"));
    }
}

BOOST_AUTO_TEST_CASE(required_headers_are_constructor_parameters) {
    const http::MethodNotAllowed not_allowed({"GET", "HEAD"});
    BOOST_TEST(header(not_allowed, "Allow") == "GET, HEAD");
    BOOST_TEST(not_allowed.what() == std::string("Method Not Allowed"));

    const http::Unauthorized unauthorized("Bearer realm=\"api\"", "token expired");
    BOOST_TEST(header(unauthorized, "WWW-Authenticate") == "Bearer realm=\"api\"");
    BOOST_TEST(unauthorized.what() == std::string("token expired"));

    BOOST_TEST(header(http::ProxyAuthenticationRequired("Basic realm=\"proxy\""), "Proxy-Authenticate") ==
               "Basic realm=\"proxy\"");
    BOOST_TEST(header(http::Found("/login"), "Location") == "/login");
    BOOST_TEST(header(http::MovedPermanently("https://example.com/"), "Location") == "https://example.com/");
    BOOST_TEST(header(http::PermanentRedirect("/v2"), "Location") == "/v2");
    BOOST_TEST(header(http::TooManyRequests(std::chrono::seconds(30)), "Retry-After") == "30");
    BOOST_TEST(header(http::ServiceUnavailable(std::chrono::minutes(2)), "Retry-After") == "120");
    BOOST_TEST(header(http::ServiceUnavailable(), "Retry-After") == "<absent>");
    BOOST_TEST(header(http::RangeNotSatisfiable(1234), "Content-Range") == "bytes */1234");
    BOOST_TEST(header(http::UpgradeRequired("TLS/1.3, HTTP/1.1"), "Upgrade") == "TLS/1.3, HTTP/1.1");
    // An optional string header: the one-argument form is the message.
    BOOST_TEST(http::MultipleChoices("pick one").what() == std::string("pick one"));
    BOOST_TEST(header(http::MultipleChoices("/a", "pick one"), "Location") == "/a");
}

BOOST_AUTO_TEST_CASE(throw_failure_edges) {
    BOOST_CHECK_THROW(http::throw_failure(http::OK), std::invalid_argument);
    BOOST_CHECK_THROW(http::throw_failure(http::CONTINUE), std::invalid_argument);
    BOOST_CHECK_THROW(http::throw_failure(static_cast<http::Status>(600)), std::invalid_argument);
    try {
        http::throw_failure(static_cast<http::Status>(477));
    } catch (const http::ClientError& error) {
        BOOST_TEST((typeid(error) == typeid(http::ClientError)));
        BOOST_TEST(static_cast<int>(error.status()) == 477);
        BOOST_TEST(error.what() == std::string("Client Error"));
    }
    // throw_failure cannot know a redirect's target: the typed class, without Location.
    try {
        http::throw_failure(http::FOUND, "moved");
    } catch (const http::Found& found) {
        BOOST_TEST(found.headers().empty());
        BOOST_TEST(found.what() == std::string("moved"));
    }
}

BOOST_AUTO_TEST_CASE(bad_arguments) {
    BOOST_CHECK_THROW(http::ClientError("x", http::INTERNAL_SERVER_ERROR), std::invalid_argument);
    BOOST_CHECK_THROW(http::ServerError("x", http::NOT_FOUND), std::invalid_argument);
    BOOST_CHECK_THROW(http::Redirection("x", http::OK), std::invalid_argument);
    BOOST_CHECK_THROW(http::ServerError("x", static_cast<http::Status>(600)), std::invalid_argument);
    // A header value must not be able to inject fields into the response.
    BOOST_CHECK_THROW(http::Found("/a\r\nSet-Cookie: x=1"), std::invalid_argument);
    BOOST_CHECK_THROW(http::Failure("x", http::NOT_FOUND, {{"Bad Name", "v"}}), std::invalid_argument);
    BOOST_CHECK_THROW(http::TooManyRequests(std::chrono::seconds(-1)), std::invalid_argument);
    const http::Failure custom("teapot", http::IM_A_TEAPOT, {{"X-Brew", "tea"}});
    BOOST_TEST(header(custom, "X-Brew") == "tea");
}

// What invalid_argument says when `make` throws it ("" when it throws nothing).
template <class Make>
std::string refusal(Make make) {
    try {
        make();
    } catch (const std::invalid_argument& error) {
        return error.what();
    }
    return {};
}

BOOST_AUTO_TEST_CASE(a_failure_status_is_3xx_to_5xx) {
    // A success or an informational status is no failure: refused, naming the status.
    BOOST_TEST(refusal([] { http::Failure("x", http::CREATED); }) ==
               "http::Failure: 201 Created is not a failure status (3xx-5xx)");
    BOOST_TEST(refusal([] { http::Failure("x", http::OK, {{"X-A", "b"}}); }).find("200 OK") != std::string::npos);
    BOOST_TEST(refusal([] { http::Failure("x", http::CONTINUE); }).find("100 Continue") != std::string::npos);
    BOOST_TEST(!refusal([] { http::Failure("x", static_cast<http::Status>(299)); }).empty());
    BOOST_TEST(!refusal([] { http::Failure("x", static_cast<http::Status>(600)); }).empty());
    BOOST_TEST(!refusal([] { http::Failure("x", static_cast<http::Status>(0)); }).empty());
    // The edges of what is taken, unknown codes included.
    BOOST_TEST(http::Failure("x", static_cast<http::Status>(300)).status() == http::MULTIPLE_CHOICES);
    BOOST_TEST(static_cast<int>(http::Failure("x", static_cast<http::Status>(599)).status()) == 599);
    BOOST_TEST(http::Failure("x", http::NOT_MODIFIED).status() == http::NOT_MODIFIED);
    BOOST_TEST(http::Failure().status() == http::BAD_REQUEST);
}

BOOST_AUTO_TEST_CASE(a_405_names_the_methods_it_allows) {
    // RFC 9110, Section 15.5.6: a 405 carries Allow with the methods the resource supports.
    BOOST_TEST(refusal([] { http::MethodNotAllowed({}); }) ==
               "http::MethodNotAllowed: the Allow field needs at least one element");
    BOOST_TEST(refusal([] { http::MethodNotAllowed({}, "disabled"); }).find("Allow") != std::string::npos);
    BOOST_TEST(refusal([] { http::MethodNotAllowed({"GET", ""}); }) ==
               "http::MethodNotAllowed: an empty element in the Allow field");
    BOOST_TEST(header(http::MethodNotAllowed({"GET"}), "Allow") == "GET");
    // Rebuilt from a response (a server that left Allow out): taken as it came, not refused.
    try {
        http::throw_failure(http::METHOD_NOT_ALLOWED, "no Allow");
    } catch (const http::MethodNotAllowed& failure) {
        BOOST_TEST(failure.allowed_methods().empty());
    }
}

BOOST_AUTO_TEST_SUITE_END()
