// <http/status.hpp> first: the header must compile on its own.
#include <http/status.hpp>

#include "support/print.hpp"

#include <boost/test/unit_test.hpp>
#include <fmt/format.h>

#include <algorithm>

#include <set>
#include <sstream>
#include <string>

BOOST_AUTO_TEST_SUITE(status_lookup)

BOOST_AUTO_TEST_CASE(every_code_round_trips) {
    std::set<int> codes;
    for (const http::StatusInfo& info : http::statuses()) {
        BOOST_TEST_CONTEXT("code " << info.code()) {
            BOOST_TEST(codes.insert(info.code()).second);  // no duplicates
            BOOST_TEST(http::is_known(info.code()));
            BOOST_TEST(http::status_from_code(info.code()) == info.status);
            BOOST_TEST(http::status_info(info.status) == &info);
            BOOST_TEST(!info.phrase.empty());
            BOOST_TEST(!info.description.empty());
            BOOST_TEST(!info.reference.empty());
            BOOST_TEST(http::phrase(info.status) == info.phrase);
            BOOST_TEST(http::name(info.status) == info.name);
            BOOST_TEST(http::description(info.status) == info.description);
            BOOST_TEST(http::reference(info.status) == info.reference);
            BOOST_TEST(http::status_from_name(info.name) == info.status);
            for (const std::string_view alias : info.aliases)
                BOOST_TEST(http::status_from_name(alias) == info.status);
            BOOST_TEST(static_cast<int>(http::status_class(info.status)) == info.code() / 100 - 1);
            BOOST_TEST(info.status_class == http::status_class(info.status));
            BOOST_TEST(info.expires.empty() == (info.registration != http::Registration::temporary));
        }
    }
    BOOST_TEST(codes.size() == http::statuses().size());
    // statuses() is in code order, like Blade's http.map.
    BOOST_TEST(std::is_sorted(codes.begin(), codes.end()));
}

BOOST_AUTO_TEST_CASE(unknown_codes) {
    for (const int code : {-1, 0, 99, 199, 299, 419 + 1000, 477, 600, 999, 65535}) {
        BOOST_TEST_CONTEXT("code " << code) {
            BOOST_TEST(!http::is_known(code));
            BOOST_TEST(!http::status_from_code(code).has_value());
        }
    }
    const auto unknown = static_cast<http::Status>(477);
    BOOST_TEST(http::phrase(unknown).empty());
    BOOST_TEST(http::name(unknown).empty());
    BOOST_TEST(http::status_info(unknown) == nullptr);
    BOOST_TEST(http::is_client_error(unknown));
    // RFC 9110, Section 15: an invalid code is handled as a server error.
    BOOST_TEST(http::is_server_error(static_cast<http::Status>(600)));
    BOOST_TEST(http::status_info(static_cast<http::Status>(600)) == nullptr);
    BOOST_TEST(!http::status_from_name("NOT_A_STATUS").has_value());
    BOOST_TEST(!http::status_from_name("").has_value());
    BOOST_TEST(!http::status_from_name("not_found").has_value());  // exact spelling only
}

BOOST_AUTO_TEST_CASE(iana_phrases) {
    BOOST_TEST(http::phrase(http::NOT_FOUND) == "Not Found");
    BOOST_TEST(http::phrase(http::CONTENT_TOO_LARGE) == "Content Too Large");
    BOOST_TEST(http::phrase(http::UNPROCESSABLE_CONTENT) == "Unprocessable Content");
    BOOST_TEST(http::phrase(http::RANGE_NOT_SATISFIABLE) == "Range Not Satisfiable");
    BOOST_TEST(http::phrase(http::URI_TOO_LONG) == "URI Too Long");
    BOOST_TEST(http::reference(http::NOT_FOUND) == "RFC 9110, Section 15.5.5");
    BOOST_TEST(http::name(http::PAYLOAD_TOO_LARGE) == "CONTENT_TOO_LARGE");
}

BOOST_AUTO_TEST_CASE(names_other_libraries_use) {
    // Blade's http module, Python's HTTPStatus (old and new names) and koatty's HttpStatusCode.
    const std::pair<const char*, int> names[] = {
        {"CONTINUE", 100}, {"SWITCHING_PROTOCOLS", 101}, {"PROCESSING", 102}, {"EARLY_HINTS", 103},
        {"OK", 200}, {"CREATED", 201}, {"ACCEPTED", 202}, {"NON_AUTHORITATIVE_INFORMATION", 203},
        {"NO_CONTENT", 204}, {"RESET_CONTENT", 205}, {"PARTIAL_CONTENT", 206}, {"MULTI_STATUS", 207},
        {"ALREADY_REPORTED", 208}, {"IM_USED", 226}, {"MULTIPLE_CHOICES", 300}, {"MOVED_PERMANENTLY", 301},
        {"FOUND", 302}, {"SEE_OTHER", 303}, {"NOT_MODIFIED", 304}, {"USE_PROXY", 305}, {"SWITCH_PROXY", 306},
        {"TEMPORARY_REDIRECT", 307}, {"PERMANENT_REDIRECT", 308}, {"BAD_REQUEST", 400}, {"UNAUTHORIZED", 401},
        {"PAYMENT_REQUIRED", 402}, {"FORBIDDEN", 403}, {"NOT_FOUND", 404}, {"METHOD_NOT_ALLOWED", 405},
        {"NOT_ACCEPTABLE", 406}, {"PROXY_AUTHENTICATION_REQUIRED", 407}, {"REQUEST_TIMEOUT", 408},
        {"CONFLICT", 409}, {"GONE", 410}, {"LENGTH_REQUIRED", 411}, {"PRECONDITION_FAILED", 412},
        {"CONTENT_TOO_LARGE", 413}, {"PAYLOAD_TOO_LARGE", 413}, {"REQUEST_ENTITY_TOO_LARGE", 413},
        {"URI_TOO_LONG", 414}, {"REQUEST_URI_TOO_LONG", 414}, {"UNSUPPORTED_MEDIA_TYPE", 415},
        {"RANGE_NOT_SATISFIABLE", 416}, {"REQUESTED_RANGE_NOT_SATISFIABLE", 416}, {"EXPECTATION_FAILED", 417},
        {"IM_A_TEAPOT", 418}, {"TEAPOT", 418}, {"I_AM_A_TEAPOT", 418}, {"MISDIRECTED_REQUEST", 421},
        {"UNPROCESSABLE_CONTENT", 422}, {"UNPROCESSABLE_ENTITY", 422}, {"LOCKED", 423}, {"FAILED_DEPENDENCY", 424},
        {"TOO_EARLY", 425}, {"UPGRADE_REQUIRED", 426}, {"PRECONDITION_REQUIRED", 428}, {"TOO_MANY_REQUESTS", 429},
        {"REQUEST_HEADER_FIELDS_TOO_LARGE", 431}, {"CONNECTION_CLOSED_WITHOUT_RESPONSE", 444},
        {"UNAVAILABLE_FOR_LEGAL_REASONS", 451}, {"CLIENT_CLOSED_REQUEST", 499}, {"INTERNAL_SERVER_ERROR", 500},
        {"NOT_IMPLEMENTED", 501}, {"BAD_GATEWAY", 502}, {"SERVICE_UNAVAILABLE", 503}, {"GATEWAY_TIMEOUT", 504},
        {"HTTP_VERSION_NOT_SUPPORTED", 505}, {"VARIANT_ALSO_NEGOTIATES", 506}, {"INSUFFICIENT_STORAGE", 507},
        {"LOOP_DETECTED", 508}, {"NOT_EXTENDED", 510}, {"NETWORK_AUTHENTICATION_REQUIRED", 511},
        {"NETWORK_CONNECT_TIMEOUT_ERROR", 599},
    };
    for (const auto& [name, code] : names) {
        BOOST_TEST_CONTEXT(name) {
            BOOST_TEST(http::status_from_name(name) == static_cast<http::Status>(code));
        }
    }
    BOOST_TEST((http::TEAPOT == http::IM_A_TEAPOT && http::I_AM_A_TEAPOT == http::Status::IM_A_TEAPOT));
}

namespace {

// The table entry of a known status (the test stops if there is none).
const http::StatusInfo& info_of(http::Status status) {
    const http::StatusInfo* info = http::status_info(status);
    BOOST_REQUIRE_MESSAGE(info != nullptr, "no table entry for " << static_cast<int>(status));
    return *info;
}

}  // namespace

BOOST_AUTO_TEST_CASE(extended_codes) {
    for (const int code : {306, 418, 419, 420, 440, 444, 449, 460, 463, 464, 494, 495, 496, 497, 498, 499, 509, 520,
                           521, 522, 523, 524, 525, 526, 527, 529, 530, 561, 598, 599}) {
        BOOST_TEST_CONTEXT(code) {
            BOOST_TEST(http::is_known(code));
        }
    }
    // Vendors disagree on 499, 420 and 530: one enumerator, every meaning recorded.
    for (const int code : {499, 420, 530}) {
        BOOST_TEST_CONTEXT(code) {
            BOOST_TEST(info_of(static_cast<http::Status>(code)).vendors.size() >= 2);
        }
    }
    const http::StatusInfo& upload = info_of(http::UPLOAD_RESUMPTION_SUPPORTED);
    BOOST_TEST((upload.registration == http::Registration::temporary));
    BOOST_TEST(upload.expires == "2026-11-13");
    BOOST_TEST((info_of(http::NOT_EXTENDED).registration == http::Registration::obsolete));
    BOOST_TEST((info_of(http::IM_A_TEAPOT).registration == http::Registration::reserved));
    BOOST_TEST((info_of(http::CLIENT_CLOSED_REQUEST).registration == http::Registration::unofficial));
}

BOOST_AUTO_TEST_CASE(required_headers_in_the_table) {
    // Whether `status` lists header `name` as required; the test stops if it is not listed.
    auto required = [](http::Status status, std::string_view name) {
        for (const http::StatusHeader& h : info_of(status).headers)
            if (h.name == name)
                return h.required;
        BOOST_FAIL(name << " is not listed for " << static_cast<int>(status));
        return false;
    };
    BOOST_TEST(required(http::METHOD_NOT_ALLOWED, "Allow"));
    BOOST_TEST(required(http::UNAUTHORIZED, "WWW-Authenticate"));
    BOOST_TEST(required(http::PROXY_AUTHENTICATION_REQUIRED, "Proxy-Authenticate"));
    BOOST_TEST(required(http::FOUND, "Location"));
    BOOST_TEST(required(http::RANGE_NOT_SATISFIABLE, "Content-Range"));
    BOOST_TEST(required(http::UPGRADE_REQUIRED, "Upgrade"));
    BOOST_TEST(!required(http::TOO_MANY_REQUESTS, "Retry-After"));
    BOOST_TEST(!required(http::SERVICE_UNAVAILABLE, "Retry-After"));
    BOOST_TEST(!required(http::CONTENT_TOO_LARGE, "Retry-After"));
    BOOST_TEST(info_of(http::NOT_FOUND).headers.empty());
}

BOOST_AUTO_TEST_CASE(formatting) {
    BOOST_TEST(http::to_string(http::NOT_FOUND) == "404 Not Found");
    BOOST_TEST(http::to_string(static_cast<http::Status>(477)) == "477");
    BOOST_TEST(fmt::format("{}", http::Status::NOT_FOUND) == "404 Not Found");
    BOOST_TEST(fmt::format("[{:>16}]", http::OK) == "[          200 OK]");
    std::ostringstream out;
    out << http::IM_A_TEAPOT;
    BOOST_TEST(out.str() == "418 I'm a Teapot");
    BOOST_TEST(http::to_string(http::StatusClass::client_error) == "client_error");
    BOOST_TEST(http::to_string(http::Registration::temporary) == "temporary");
}

BOOST_AUTO_TEST_SUITE_END()
