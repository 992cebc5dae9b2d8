// Conditional requests (RFC 9110, Section 13): entity-tags as lists, strong and weak comparison,
// and the order of evaluation of Section 13.2.2, which send_file() and check_preconditions() share.
#include "proto/message/conditional.hpp"

#include <boost/test/unit_test.hpp>

#include <initializer_list>
#include <utility>

using namespace std::chrono;
using http::detail::etag_matches;
using http::detail::evaluate_preconditions;
using http::detail::Precondition;

namespace {

const system_clock::time_point sunday = system_clock::from_time_t(784111777);  // 1994-11-06 08:49:37
constexpr const char* sunday_text = "Sun, 06 Nov 1994 08:49:37 GMT";
constexpr const char* earlier_text = "Sat, 05 Nov 1994 08:49:37 GMT";
constexpr const char* later_text = "Mon, 07 Nov 1994 08:49:37 GMT";

Precondition evaluate(std::string_view method, std::initializer_list<std::pair<std::string, std::string>> fields,
                      std::string_view etag = "\"v1\"",
                      std::optional<system_clock::time_point> modified = sunday) {
    http::Headers headers;
    for (const auto& [name, value] : fields)
        headers.add(name, value);
    return evaluate_preconditions(method, headers, etag, modified);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(conditional)

BOOST_AUTO_TEST_CASE(entity_tags) {
    for (const char* tag : {"\"abc\"", "W/\"abc\"", "\"\"", "\"a,b\"", "\"caf\xc3\xa9\"", "\"x-gzip\""})
        BOOST_TEST(http::detail::is_entity_tag(tag), tag);
    for (const char* tag : {"abc", "w/\"abc\"", "\"a b\"", "\"a\"b\"", "\"abc", "abc\"", "W/abc", "\"", "",
                            " \"abc\"", "\"abc\" ", "*", "\"a\tb\""})
        BOOST_TEST(!http::detail::is_entity_tag(tag), tag);
}

BOOST_AUTO_TEST_CASE(strong_comparison) {
    BOOST_TEST(etag_matches("\"v1\"", "\"v1\"", false));
    BOOST_TEST(!etag_matches("W/\"v1\"", "\"v1\"", false));   // a weak tag never matches strongly
    BOOST_TEST(!etag_matches("\"v1\"", "W/\"v1\"", false));
    BOOST_TEST(!etag_matches("W/\"v1\"", "W/\"v1\"", false));
    BOOST_TEST(!etag_matches("\"v1-gzip\"", "\"v1\"", false));  // another variant's bytes
    BOOST_TEST(!etag_matches("\"V1\"", "\"v1\"", false));       // opaque: case counts
}

BOOST_AUTO_TEST_CASE(weak_comparison) {
    BOOST_TEST(etag_matches("W/\"v1\"", "\"v1\"", true));
    BOOST_TEST(etag_matches("\"v1\"", "W/\"v1\"", true));
    BOOST_TEST(etag_matches("W/\"v1\"", "W/\"v1\"", true));
    BOOST_TEST(etag_matches("\"v1-gzip\"", "\"v1\"", true));  // a compressed variant of it
    BOOST_TEST(etag_matches("W/\"v1-br\"", "\"v1-zstd\"", true));
    BOOST_TEST(!etag_matches("\"v2\"", "\"v1\"", true));
    BOOST_TEST(!etag_matches("\"-gzip\"", "\"v1\"", true));
}

BOOST_AUTO_TEST_CASE(lists) {
    for (const bool weak : {false, true}) {
        BOOST_TEST_CONTEXT("weak " << weak) {
            BOOST_TEST(etag_matches("\"x\", \"v1\"", "\"v1\"", weak));
            BOOST_TEST(etag_matches("\"x\",\"v1\"", "\"v1\"", weak));
            BOOST_TEST(etag_matches(" \t\"x\" ,\t \"v1\"  ", "\"v1\"", weak));  // OWS around elements
            BOOST_TEST(etag_matches(",, \"v1\" ,,", "\"v1\"", weak));            // empty elements
            BOOST_TEST(!etag_matches("\"x\", \"y\"", "\"v1\"", weak));
            BOOST_TEST(!etag_matches("", "\"v1\"", weak));
            BOOST_TEST(!etag_matches(" , ", "\"v1\"", weak));
            // A comma inside a quoted tag is the tag's.
            BOOST_TEST(etag_matches("\"a,b\"", "\"a,b\"", weak));
            BOOST_TEST(!etag_matches("\"a,b\"", "\"a\"", weak));
            BOOST_TEST(!etag_matches("\"a,b\"", "\"b\"", weak));
            BOOST_TEST(etag_matches("\"x\", \"a,b\", \"y\"", "\"a,b\"", weak));
            // "*" alone names any representation; inside a list it is malformed.
            BOOST_TEST(etag_matches("*", "\"v1\"", weak));
            BOOST_TEST(etag_matches(" * ", "\"v1\"", weak));
            BOOST_TEST(etag_matches("*", "", weak));
            BOOST_TEST(!etag_matches("\"x\", *", "\"v1\"", weak));
            BOOST_TEST(!etag_matches("\"*\"", "\"v1\"", weak));
            // A malformed element names nothing; the well-formed ones around it still count.
            BOOST_TEST(!etag_matches("v1", "\"v1\"", weak));               // unquoted
            BOOST_TEST(!etag_matches("\"v1\"x", "\"v1\"", weak));          // text after the quote
            BOOST_TEST(!etag_matches("\"v 1\"", "\"v 1\"", weak));         // a space is no etagc
            BOOST_TEST(etag_matches("bogus, \"v1\"", "\"v1\"", weak));
            BOOST_TEST(etag_matches("\"v1\", bogus", "\"v1\"", weak));
            BOOST_TEST(!etag_matches("\"v1\"", "", weak));                  // no tag: none matches
        }
    }
    // "W/" is case-sensitive: w/"v1" is malformed, not weak.
    BOOST_TEST(!etag_matches("w/\"v1\"", "\"v1\"", true));
    BOOST_TEST(etag_matches("\"x\", W/\"v1\"", "\"v1\"", true));
    BOOST_TEST(!etag_matches("\"x\", W/\"v1\"", "\"v1\"", false));
}

BOOST_AUTO_TEST_CASE(if_match_and_if_unmodified_since) {
    BOOST_TEST((evaluate("PUT", {}) == Precondition::proceed));
    BOOST_TEST((evaluate("PUT", {{"If-Match", "\"v1\""}}) == Precondition::proceed));
    BOOST_TEST((evaluate("PUT", {{"If-Match", "\"v0\""}}) == Precondition::failed));
    BOOST_TEST((evaluate("GET", {{"If-Match", "\"v0\""}}) == Precondition::failed));  // 412, never 304
    BOOST_TEST((evaluate("PUT", {{"If-Match", "W/\"v1\""}}) == Precondition::failed));  // strong
    BOOST_TEST((evaluate("PUT", {{"If-Match", "*"}}) == Precondition::proceed));
    BOOST_TEST((evaluate("PUT", {{"If-Match", "v1"}}) == Precondition::failed));  // malformed: no match
    BOOST_TEST((evaluate("PUT", {{"If-Match", "\"v0\""}, {"If-Match", "\"v1\""}}) == Precondition::proceed));  // one list
    BOOST_TEST((evaluate("PUT", {{"If-Match", "*"}}, "") == Precondition::proceed));
    BOOST_TEST((evaluate("PUT", {{"If-Match", "\"v1\""}}, "") == Precondition::failed));

    BOOST_TEST((evaluate("PUT", {{"If-Unmodified-Since", sunday_text}}) == Precondition::proceed));
    BOOST_TEST((evaluate("PUT", {{"If-Unmodified-Since", later_text}}) == Precondition::proceed));
    BOOST_TEST((evaluate("PUT", {{"If-Unmodified-Since", earlier_text}}) == Precondition::failed));
    // Ignored: not a date, a list of dates, two fields, no modification time known.
    BOOST_TEST((evaluate("PUT", {{"If-Unmodified-Since", "yesterday"}}) == Precondition::proceed));
    BOOST_TEST((evaluate("PUT", {{"If-Unmodified-Since", std::string(earlier_text) + ", " + earlier_text}}) ==
                Precondition::proceed));
    BOOST_TEST((evaluate("PUT", {{"If-Unmodified-Since", earlier_text}, {"If-Unmodified-Since", earlier_text}}) ==
                Precondition::proceed));
    BOOST_TEST((evaluate("PUT", {{"If-Unmodified-Since", earlier_text}}, "\"v1\"", std::nullopt) == Precondition::proceed));
    // To the second: a modification within the date's second is not after it.
    BOOST_TEST((evaluate("PUT", {{"If-Unmodified-Since", sunday_text}}, "\"v1\"", sunday + milliseconds(900)) ==
                Precondition::proceed));
    BOOST_TEST((evaluate("PUT", {{"If-Unmodified-Since", sunday_text}}, "\"v1\"", sunday + seconds(1)) ==
                Precondition::failed));
}

BOOST_AUTO_TEST_CASE(if_none_match_and_if_modified_since) {
    BOOST_TEST((evaluate("GET", {{"If-None-Match", "\"v1\""}}) == Precondition::not_modified));
    BOOST_TEST((evaluate("HEAD", {{"If-None-Match", "\"v1\""}}) == Precondition::not_modified));
    BOOST_TEST((evaluate("GET", {{"If-None-Match", "W/\"v1\""}}) == Precondition::not_modified));  // weak
    BOOST_TEST((evaluate("POST", {{"If-None-Match", "\"v1\""}}) == Precondition::failed));
    BOOST_TEST((evaluate("PUT", {{"If-None-Match", "*"}}) == Precondition::failed));  // "create only if absent"
    BOOST_TEST((evaluate("GET", {{"If-None-Match", "\"v0\""}}) == Precondition::proceed));
    BOOST_TEST((evaluate("GET", {{"If-None-Match", "\"v0\""}, {"If-None-Match", "\"v1\""}}) ==
                Precondition::not_modified));
    BOOST_TEST((evaluate("GET", {{"If-None-Match", "\"v1\""}}, "") == Precondition::proceed));

    BOOST_TEST((evaluate("GET", {{"If-Modified-Since", sunday_text}}) == Precondition::not_modified));
    BOOST_TEST((evaluate("GET", {{"If-Modified-Since", later_text}}) == Precondition::not_modified));
    BOOST_TEST((evaluate("GET", {{"If-Modified-Since", earlier_text}}) == Precondition::proceed));
    BOOST_TEST((evaluate("HEAD", {{"If-Modified-Since", sunday_text}}) == Precondition::not_modified));
    BOOST_TEST((evaluate("POST", {{"If-Modified-Since", sunday_text}}) == Precondition::proceed));  // GET and HEAD only
    BOOST_TEST((evaluate("GET", {{"If-Modified-Since", "Sun, 06 Nov 1994"}}) == Precondition::proceed));
    BOOST_TEST((evaluate("GET", {{"If-Modified-Since", sunday_text}, {"If-Modified-Since", sunday_text}}) ==
                Precondition::proceed));
    BOOST_TEST((evaluate("GET", {{"If-Modified-Since", sunday_text}}, "\"v1\"", std::nullopt) == Precondition::proceed));
    BOOST_TEST((evaluate("GET", {{"If-Modified-Since", sunday_text}}, "\"v1\"", sunday + milliseconds(999)) ==
                Precondition::not_modified));
}

BOOST_AUTO_TEST_CASE(the_order_of_section_13_2_2) {
    // 1 before 3: a failed If-Match is 412 even where If-None-Match would say 304.
    BOOST_TEST((evaluate("GET", {{"If-None-Match", "\"v1\""}, {"If-Match", "\"v0\""}}) == Precondition::failed));
    // 1 passed: If-Unmodified-Since is not looked at.
    BOOST_TEST((evaluate("PUT", {{"If-Match", "\"v1\""}, {"If-Unmodified-Since", earlier_text}}) ==
                Precondition::proceed));
    // 2 before 3.
    BOOST_TEST((evaluate("GET", {{"If-Unmodified-Since", earlier_text}, {"If-None-Match", "\"v1\""}}) ==
                Precondition::failed));
    // 1 passed, then 3.
    BOOST_TEST((evaluate("GET", {{"If-Match", "\"v1\""}, {"If-None-Match", "\"v1\""}}) == Precondition::not_modified));
    BOOST_TEST((evaluate("DELETE", {{"If-Match", "\"v1\""}, {"If-None-Match", "*"}}) == Precondition::failed));
    // 3 present: If-Modified-Since is not looked at, either way.
    BOOST_TEST((evaluate("GET", {{"If-None-Match", "\"v0\""}, {"If-Modified-Since", sunday_text}}) ==
                Precondition::proceed));
    BOOST_TEST((evaluate("GET", {{"If-None-Match", "\"v1\""}, {"If-Modified-Since", earlier_text}}) ==
                Precondition::not_modified));
    // Methods without preconditions (Section 13.2.1).
    for (const char* method : {"OPTIONS", "CONNECT", "TRACE"})
        BOOST_TEST((evaluate(method, {{"If-Match", "\"v0\""}, {"If-None-Match", "\"v1\""}}) == Precondition::proceed),
                   method);
}

BOOST_AUTO_TEST_SUITE_END()
