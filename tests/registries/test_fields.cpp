// <http/fields.hpp> first: the header must compile on its own.
#include <http/fields.hpp>

#include "registries/print.hpp"

#include <http/status.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>
#include <string>

namespace {

using http::Field;

static_assert(http::field_name(Field::CONTENT_TYPE) == "Content-Type");
static_assert(http::field_name(Field::WWW_AUTHENTICATE) == "WWW-Authenticate");
static_assert(http::field_from_name("Content-Type") == Field::CONTENT_TYPE);
static_assert(http::field_from_name("content-type") == Field::CONTENT_TYPE);
static_assert(http::field_from_name("CONTENT-TYPE") == Field::CONTENT_TYPE);
static_assert(http::field_from_name("cOnTeNt-TyPe") == Field::CONTENT_TYPE);
static_assert(http::field_from_name("accept-query") == Field::ACCEPT_QUERY);  // RFC 10008, in the 2026 registry
static_assert(!http::field_from_name("Content_Type"));
static_assert(!http::field_from_name("Content-Typ"));
static_assert(!http::field_from_name(""));
static_assert(!http::field_from_name("Close"));  // reserved by the registry: no Field
static_assert(!http::field_from_name("*"));
static_assert(http::field_status(Field::CONTENT_TYPE) == http::FieldStatus::permanent);
static_assert(http::field_status(Field::ACCEPT_CHARSET) == http::FieldStatus::deprecated);
static_assert(http::field_status(Field::CONTENT_MD5) == http::FieldStatus::obsoleted);
static_assert(http::field_reference(Field::ALLOW) == "RFC 9110, Section 10.2.1: HTTP Semantics");
static_assert(http::fields().size() == 257);  // the 259 rows of 2026-10-08 but Close and *
static_assert(http::field_name(static_cast<Field>(257)).empty());
static_assert(http::field_name(static_cast<Field>(9999)).empty());

// Every name and its upper- and lower-case forms come back, at compile time.
constexpr char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
constexpr char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }
constexpr bool every_name_is_found() {
    std::size_t index = 0;
    for (const http::FieldInfo& info : http::fields()) {
        if (static_cast<std::size_t>(info.field) != index++ || http::field_from_name(info.name) != info.field)
            return false;
        char down[64] = {};
        char up[64] = {};
        for (std::size_t i = 0; i < info.name.size(); ++i) {
            down[i] = lower(info.name[i]);
            up[i] = upper(info.name[i]);
        }
        if (http::field_from_name(std::string_view(down, info.name.size())) != info.field ||
            http::field_from_name(std::string_view(up, info.name.size())) != info.field)
            return false;
    }
    return true;
}
static_assert(every_name_is_found());

// The headers the status dataset requires are Fields, spelt as the registry spells them.
constexpr bool status_headers_are_fields() {
    for (const http::StatusInfo& status : http::statuses())
        for (const http::StatusHeader& header : status.headers) {
            const std::optional<Field> field = http::field_from_name(header.name);
            if (!field || http::field_name(*field) != header.name)
                return false;
        }
    return true;
}
static_assert(status_headers_are_fields());
static_assert(http::field_from_name(http::status_info(http::METHOD_NOT_ALLOWED)->headers.front().name) == Field::ALLOW);
static_assert(http::field_from_name(http::status_info(http::UNAUTHORIZED)->headers.front().name) == Field::WWW_AUTHENTICATE);

}  // namespace

BOOST_AUTO_TEST_SUITE(fields)

BOOST_AUTO_TEST_CASE(names_round_trip) {
    std::set<std::string> lowered;
    for (const http::FieldInfo& info : http::fields()) {
        BOOST_TEST_CONTEXT(info.name) {
            std::string name(info.name);
            std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
            BOOST_TEST(lowered.insert(name).second);  // no two names differ only in case
            BOOST_TEST(http::field_from_name(name) == info.field);
            BOOST_TEST(http::field_info(info.field) == &info);
            BOOST_TEST(!info.reference.empty());
        }
    }
    // The registry's order: case-insensitive.
    BOOST_TEST(std::is_sorted(lowered.begin(), lowered.end()));
}

BOOST_AUTO_TEST_CASE(near_misses_are_not_found) {
    // A byte that folds like a letter under the hash's OR 0x20 must still fail the comparison:
    // CR (0x0d) ORs to '-' (0x2d), '_' ORs to DEL.
    using namespace std::string_view_literals;
    for (const std::string_view name : {"Content\rType"sv, "Content-Type "sv, " Content-Type"sv, "Content-Type\0"sv,
                                        "X-Frame-Option"sv, "Set-Cookie3"sv, "Content-Types"sv, "content-type\n"sv,
                                        "Content\x7fType"sv, "CONTENT\x2dTYPE"sv}) {
        BOOST_TEST_CONTEXT(name) {
            BOOST_TEST((http::field_from_name(name) == (name == "CONTENT\x2dTYPE" ? std::optional(Field::CONTENT_TYPE)
                                                                                     : std::nullopt)));
        }
    }
    std::string long_name(5000, 'a');
    BOOST_TEST(!http::field_from_name(long_name));
}

BOOST_AUTO_TEST_CASE(statuses_and_structured_types) {
    int counts[4] = {};
    for (const http::FieldInfo& info : http::fields())
        ++counts[static_cast<int>(info.status)];
    // 2026-10-08: 189 permanent (4 spelt "Permanent"), 23 provisional, 8 deprecated, 39 obsoleted,
    // less Close and *, which are reserved.
    BOOST_TEST(counts[0] == 187);
    BOOST_TEST(counts[1] == 23);
    BOOST_TEST(counts[2] == 8);
    BOOST_TEST(counts[3] == 39);
    BOOST_TEST(http::field_status(Field::SEC_FETCH_DEST) == http::FieldStatus::permanent);
    BOOST_TEST(http::field_info(Field::ACCEPT_CH)->structured_type == "List");
    BOOST_TEST(http::field_info(Field::CACHE_STATUS)->structured_type == "List");
    BOOST_TEST(http::field_info(Field::CONTENT_TYPE)->structured_type.empty());
    BOOST_TEST(http::field_info(Field::EXPECT_CT)->comments == "Obsoleted by [IESG] [HTTPBIS]");
    BOOST_TEST(http::to_string(http::FieldStatus::obsoleted) == "obsoleted");
}

BOOST_AUTO_TEST_CASE(printing) {
    std::ostringstream out;
    out << Field::X_CONTENT_TYPE_OPTIONS << ' ' << http::FieldStatus::provisional;
    BOOST_TEST(out.str() == "X-Content-Type-Options provisional");
}

BOOST_AUTO_TEST_SUITE_END()
