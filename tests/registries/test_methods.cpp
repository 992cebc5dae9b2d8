// <http/methods.hpp> first: the header must compile on its own.
#include <http/methods.hpp>

#include "registries/print.hpp"

#include <boost/test/unit_test.hpp>

#include <sstream>
#include <string>

namespace {

using http::Method;

static_assert(http::method_from_name("GET") == Method::GET);
static_assert(http::method_from_name("QUERY") == Method::QUERY);
static_assert(http::method_from_name("BASELINE-CONTROL") == Method::BASELINE_CONTROL);
static_assert(!http::method_from_name("get"));  // case-sensitive (RFC 9110, Section 9.1)
static_assert(!http::method_from_name("Get"));
static_assert(!http::method_from_name("BASELINE_CONTROL"));
static_assert(!http::method_from_name("*"));  // reserved (RFC 9110, Section 18.2)
static_assert(!http::method_from_name(""));
static_assert(!http::method_from_name("GETS"));
static_assert(http::method_name(Method::VERSION_CONTROL) == "VERSION-CONTROL");
static_assert(http::methods().size() == 40);  // 39 of 2022-06-08 (without *) and QUERY

// RFC 9110, Section 9.2, and the registry.
static_assert(http::is_safe(Method::GET) && http::is_safe(Method::HEAD) && http::is_safe(Method::OPTIONS) &&
              http::is_safe(Method::TRACE) && http::is_safe(Method::QUERY));
static_assert(!http::is_safe(Method::POST) && !http::is_safe(Method::PUT) && !http::is_safe(Method::DELETE));
static_assert(http::is_idempotent(Method::PUT) && http::is_idempotent(Method::DELETE) && http::is_idempotent(Method::QUERY));
static_assert(!http::is_idempotent(Method::POST) && !http::is_idempotent(Method::PATCH) &&
              !http::is_idempotent(Method::CONNECT) && !http::is_idempotent(Method::LOCK));
static_assert(!http::is_safe(static_cast<Method>(200)) && !http::is_idempotent(static_cast<Method>(200)));

constexpr bool every_method_is_found() {
    for (const http::MethodInfo& info : http::methods())
        if (http::method_from_name(info.name) != info.method || (info.safe && !info.idempotent))
            return false;
    return true;
}
static_assert(every_method_is_found());

}  // namespace

BOOST_AUTO_TEST_SUITE(methods)

BOOST_AUTO_TEST_CASE(the_methods_a_client_may_repeat) {
    // The list the client wrote by hand before it read the registry, and more.
    for (const char* name : {"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE", "QUERY", "PROPFIND", "MKCOL"})
        BOOST_TEST(http::is_idempotent(*http::method_from_name(name)), name);
    for (const char* name : {"POST", "PATCH", "CONNECT", "LOCK"})
        BOOST_TEST(!http::is_idempotent(*http::method_from_name(name)), name);
    // A method the registry does not have is not idempotent: there is no Method to ask about.
    BOOST_TEST(!http::method_from_name("FROB").has_value());
}

BOOST_AUTO_TEST_CASE(every_method_round_trips) {
    for (const http::MethodInfo& info : http::methods()) {
        BOOST_TEST_CONTEXT(info.name) {
            BOOST_TEST(http::method_from_name(info.name) == info.method);
            BOOST_TEST(http::method_info(info.method) == &info);
            BOOST_TEST(!info.reference.empty());
            std::string lowered(info.name);
            for (char& c : lowered)
                c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
            BOOST_TEST(!http::method_from_name(lowered).has_value());
        }
    }
    BOOST_TEST(http::method_info(Method::QUERY)->reference == "RFC 10008, Section 2");
}

BOOST_AUTO_TEST_CASE(printing) {
    std::ostringstream out;
    out << Method::MKCALENDAR;
    BOOST_TEST(out.str() == "MKCALENDAR");
}

BOOST_AUTO_TEST_SUITE_END()
