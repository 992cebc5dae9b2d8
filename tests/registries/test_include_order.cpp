// The protocol core has a struct http::detail::Field (a parsed field line). Neither http::Headers
// nor <http/status.hpp> names the registry's http::Field, and <http/fields.hpp> names it in
// full, so that each means the same whatever was included before it.
namespace http::detail {
struct Field {
    int parsed_line;
};
}  // namespace http::detail

#include <http/fields.hpp>
#include <http/headers.hpp>
#include <http/status.hpp>

#include <boost/test/unit_test.hpp>

#include <http/methods.hpp>

static_assert(http::field_from_name(http::status_info(http::METHOD_NOT_ALLOWED)->headers.front().name) == http::Field::ALLOW);
static_assert(http::detail::registered_field<http::Field>);
static_assert(!http::detail::registered_field<http::detail::Field> && !http::detail::registered_field<http::Method>);
static_assert(!http::detail::registered_field<http::Status>);

BOOST_AUTO_TEST_SUITE(include_order)

BOOST_AUTO_TEST_CASE(a_parsed_field_beside_a_registered_one) {
    http::Headers headers;
    headers[http::Field::ALLOW] = "GET";
    BOOST_TEST(headers.get("allow") == "GET");
}

BOOST_AUTO_TEST_SUITE_END()
