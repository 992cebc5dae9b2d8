// Every registry is reachable through <http/http.hpp>.
#include <http/http.hpp>

#include <boost/test/unit_test.hpp>

static_assert(http::field_from_name("retry-after") == http::Field::RETRY_AFTER);
static_assert(http::is_idempotent(http::Method::PUT));
static_assert(http::may_send_close_code(1009));
static_assert(http::h2::error_code_name(http::h2::ErrorCode::REFUSED_STREAM) == "REFUSED_STREAM");
static_assert(http::code_text(http::NOT_FOUND) == "404");

BOOST_AUTO_TEST_SUITE(umbrella)

BOOST_AUTO_TEST_CASE(compiled) {
    BOOST_TEST(http::is_error(http::BAD_GATEWAY));
}

BOOST_AUTO_TEST_SUITE_END()
