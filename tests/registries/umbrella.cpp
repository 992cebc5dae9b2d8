// Every registry is reachable through <http/http.hpp>.
#include <http/http.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <ranges>

static_assert(http::field_from_name("retry-after") == http::Field::RETRY_AFTER);
static_assert(http::is_idempotent(http::Method::PUT));
static_assert(http::may_send_close_code(1009));
static_assert(http::h2::error_code_name(http::h2::ErrorCode::REFUSED_STREAM) == "REFUSED_STREAM");
static_assert(http::code_text(http::NOT_FOUND) == "404");

// Each registry's table is a view of static rows: a std::ranges algorithm on the table a call
// returns gives an iterator into the rows, not std::ranges::dangling.
static_assert(std::ranges::borrowed_range<decltype(http::statuses())>);
static_assert(std::ranges::borrowed_range<decltype(http::statuses()[0].aliases)>);
static_assert(std::ranges::borrowed_range<decltype(http::fields())>);
static_assert(std::ranges::borrowed_range<decltype(http::methods())>);
static_assert(std::ranges::borrowed_range<decltype(http::close_codes())>);
static_assert(std::ranges::borrowed_range<decltype(http::h2::error_codes())>);

BOOST_AUTO_TEST_SUITE(umbrella)

BOOST_AUTO_TEST_CASE(compiled) {
    BOOST_TEST(http::is_error(http::BAD_GATEWAY));
}

BOOST_AUTO_TEST_CASE(ranges_algorithms_on_the_tables) {
    const auto teapot = std::ranges::find_if(http::statuses(), [](const http::StatusInfo& s) { return s.code() == 418; });
    BOOST_REQUIRE(teapot != http::statuses().end());
    BOOST_TEST(teapot->status == http::IM_A_TEAPOT);
    const auto host = std::ranges::find(http::fields(), std::string_view("Host"), &http::FieldInfo::name);
    BOOST_REQUIRE(host != http::fields().end());
    BOOST_TEST(host->name == "Host");
}

BOOST_AUTO_TEST_SUITE_END()
