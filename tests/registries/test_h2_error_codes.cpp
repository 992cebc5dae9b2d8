// <http/h2_error_codes.hpp> first: the header must compile on its own.
#include <http/h2_error_codes.hpp>

#include "registries/print.hpp"

#include <boost/test/unit_test.hpp>

#include <sstream>

namespace {

using http::h2::ErrorCode;

// RFC 9113, Section 7.
static_assert(static_cast<std::uint32_t>(ErrorCode::NO_ERROR) == 0x0);
static_assert(static_cast<std::uint32_t>(ErrorCode::PROTOCOL_ERROR) == 0x1);
static_assert(static_cast<std::uint32_t>(ErrorCode::REFUSED_STREAM) == 0x7);
static_assert(static_cast<std::uint32_t>(ErrorCode::CANCEL) == 0x8);
static_assert(static_cast<std::uint32_t>(ErrorCode::ENHANCE_YOUR_CALM) == 0xb);
static_assert(static_cast<std::uint32_t>(ErrorCode::HTTP_1_1_REQUIRED) == 0xd);
static_assert(sizeof(ErrorCode) == 4);
static_assert(http::h2::error_code_name(ErrorCode::FLOW_CONTROL_ERROR) == "FLOW_CONTROL_ERROR");
static_assert(http::h2::error_code_description(ErrorCode::REFUSED_STREAM) == "Stream not processed");
static_assert(http::h2::error_code_name(ErrorCode{0xe}).empty());
static_assert(http::h2::error_code_from_name("SETTINGS_TIMEOUT") == ErrorCode::SETTINGS_TIMEOUT);
static_assert(!http::h2::error_code_from_name("settings_timeout"));
static_assert(http::h2::error_codes().size() == 14);

}  // namespace

BOOST_AUTO_TEST_SUITE(h2_error_codes)

BOOST_AUTO_TEST_CASE(every_code_round_trips) {
    std::uint32_t expected = 0;
    for (const http::h2::ErrorCodeInfo& info : http::h2::error_codes()) {
        BOOST_TEST_CONTEXT(info.name) {
            BOOST_TEST(info.value() == expected++);  // 0x0-0xd, in order
            BOOST_TEST(http::h2::error_code_info(info.code) == &info);
            BOOST_TEST(http::h2::error_code_from_name(info.name) == info.code);
            BOOST_TEST(info.reference == "RFC 9113, Section 7");
        }
    }
    BOOST_TEST(http::h2::error_code_info(ErrorCode{0xffffffff}) == nullptr);
}

BOOST_AUTO_TEST_CASE(printing) {
    std::ostringstream out;
    out << ErrorCode::CANCEL << ' ' << ErrorCode{0x1f} << ' ' << ErrorCode{0xffffffff} << ' ' << ErrorCode{0xe};
    BOOST_TEST(out.str() == "CANCEL 0x1f 0xffffffff 0xe");
}

BOOST_AUTO_TEST_SUITE_END()
