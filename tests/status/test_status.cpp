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
            const bool dated = info.registration == http::Registration::temporary ||
                               info.registration == http::Registration::expired;
            BOOST_TEST(info.expires.empty() == !dated);
            BOOST_TEST(info.registered.empty() == !dated);
            BOOST_TEST((info.extended.empty() || dated));
            BOOST_TEST(http::code_text(info.status) == std::to_string(info.code()));
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

BOOST_AUTO_TEST_CASE(names_go_dotnet_and_spring_use) {
    // Go's net/http constants without their Status prefix, .NET's HttpStatusCode in upper snake
    // case, and Spring's HttpStatus (deprecated names included).
    const std::pair<const char*, int> names[] = {
        {"NON_AUTHORITATIVE_INFO", 203}, {"PROXY_AUTH_REQUIRED", 407},                        // Go
        {"AMBIGUOUS", 300}, {"MOVED", 301}, {"REDIRECT", 302}, {"REDIRECT_METHOD", 303},      // .NET
        {"REDIRECT_KEEP_VERB", 307},
        {"MOVED_TEMPORARILY", 302}, {"CHECKPOINT", 103}, {"INSUFFICIENT_SPACE_ON_RESOURCE", 419},  // Spring
        {"METHOD_FAILURE", 420}, {"DESTINATION_LOCKED", 421}, {"BANDWIDTH_LIMIT_EXCEEDED", 509},
    };
    for (const auto& [name, code] : names) {
        BOOST_TEST_CONTEXT(name) {
            BOOST_TEST(http::status_from_name(name) == static_cast<http::Status>(code));
        }
    }
    // .NET's Unused (306) is left out: UNUSED is a macro in too much C and C++ code.
    BOOST_TEST(!http::status_from_name("UNUSED"));
    BOOST_TEST((http::MOVED_TEMPORARILY == http::FOUND && http::REDIRECT == http::FOUND));
}

BOOST_AUTO_TEST_CASE(errors_and_code_text) {
    BOOST_TEST(http::is_error(http::NOT_FOUND));
    BOOST_TEST(http::is_error(http::BAD_GATEWAY));
    BOOST_TEST(!http::is_error(http::OK));
    BOOST_TEST(!http::is_error(http::FOUND));
    BOOST_TEST(!http::is_error(http::CONTINUE));
    BOOST_TEST(http::is_error(static_cast<http::Status>(477)));  // unknown 4xx
    BOOST_TEST(http::is_error(static_cast<http::Status>(600)));  // invalid: handled as a server error
    for (int code = 100; code <= 999; ++code)
        BOOST_TEST(http::code_text(static_cast<http::Status>(code)) == std::to_string(code));
    for (const int code : {0, 1, 99, 1000, 65535})
        BOOST_TEST(http::code_text(static_cast<http::Status>(code)).empty());
}

BOOST_AUTO_TEST_CASE(status_from_text) {
    for (int code = 100; code <= 599; ++code)
        BOOST_TEST(http::status_from_string(std::to_string(code)) == static_cast<http::Status>(code));
    BOOST_TEST(http::status_from_string("477") == static_cast<http::Status>(477));  // known or not
    BOOST_TEST(http::status_from_string("NOT_FOUND") == http::NOT_FOUND);
    BOOST_TEST(http::status_from_string("PAYLOAD_TOO_LARGE") == http::CONTENT_TOO_LARGE);
    for (const std::string_view bad : {"", "4", "40", "4040", "099", "600", "999", " 404", "404 ", "+44", "-40", "4O4",
                                       "not_found", "Not Found", "0x1"}) {
        BOOST_TEST_CONTEXT('"' << bad << '"') {
            BOOST_TEST(!http::status_from_string(bad).has_value());
        }
    }
}

BOOST_AUTO_TEST_CASE(vendor_data_with_sources) {
    BOOST_TEST(!http::is_known(218));  // "This Is Fine": no Apache document or source defines it
    BOOST_TEST(!http::status_from_name("THIS_IS_FINE"));
    const http::StatusInfo* shopify = http::status_info(static_cast<http::Status>(430));
    BOOST_REQUIRE(shopify);
    BOOST_TEST(shopify->phrase == "Shopify Security Rejection");
    BOOST_TEST(shopify->source == "Shopify");
    BOOST_TEST(http::status_info(http::BANDWIDTH_LIMIT_EXCEEDED)->source == "cPanel");
    const http::StatusInfo* origin = http::status_info(http::SITE_IS_FROZEN);
    BOOST_REQUIRE(origin->vendors.size() == 2);
    BOOST_TEST(origin->vendors[1].vendor == "Cloudflare");
    BOOST_TEST(origin->vendors[1].phrase.empty());  // "Origin DNS Error" is error 1016's name
    BOOST_TEST(!http::status_from_name("ORIGIN_DNS_ERROR"));
    const http::StatusInfo* closed = http::status_info(http::CONNECTION_CLOSED_WITHOUT_RESPONSE);
    BOOST_TEST(closed->vendors.front().vendor == "nginx");
    BOOST_TEST(closed->vendors.front().phrase.empty());  // nginx gives 444 no phrase
    for (const http::Status timeout : {http::NETWORK_READ_TIMEOUT_ERROR, http::NETWORK_CONNECT_TIMEOUT_ERROR}) {
        BOOST_TEST(http::status_info(timeout)->source == "Informal convention");
        for (const http::VendorMeaning& vendor : http::status_info(timeout)->vendors)
            BOOST_TEST(vendor.vendor != "Microsoft");
    }
    bool spring_421 = false;
    for (const http::VendorMeaning& vendor : http::status_info(http::MISDIRECTED_REQUEST)->vendors)
        spring_421 = spring_421 || (vendor.vendor == "Spring Framework" && vendor.phrase == "Destination Locked");
    BOOST_TEST(spring_421);
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
    // 104's temporary registration expired on 2026-11-13; the code stays known.
    const http::StatusInfo& upload = info_of(http::UPLOAD_RESUMPTION_SUPPORTED);
    BOOST_TEST((upload.registration == http::Registration::expired));
    BOOST_TEST(upload.registered == "2024-11-13");
    BOOST_TEST(upload.extended == "2025-09-15");
    BOOST_TEST(upload.expires == "2026-11-13");
    BOOST_TEST(http::is_known(104));
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
    BOOST_TEST(http::to_string(http::Registration::expired) == "expired");
    BOOST_TEST(http::to_string(http::Registration::obsolete) == "obsolete");
}

BOOST_AUTO_TEST_SUITE_END()
