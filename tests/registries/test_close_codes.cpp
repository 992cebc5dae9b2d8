// <http/close_codes.hpp> first: the header must compile on its own.
#include <http/close_codes.hpp>

#include "registries/print.hpp"

#include <boost/test/unit_test.hpp>

#include <sstream>
#include <utility>

namespace {

using http::CloseCode;

static_assert(static_cast<int>(CloseCode::NORMAL_CLOSURE) == 1000);
static_assert(static_cast<int>(CloseCode::GOING_AWAY) == 1001);
static_assert(static_cast<int>(CloseCode::PROTOCOL_ERROR) == 1002);
static_assert(static_cast<int>(CloseCode::UNSUPPORTED_DATA) == 1003);
static_assert(static_cast<int>(CloseCode::NO_STATUS_RCVD) == 1005);
static_assert(static_cast<int>(CloseCode::ABNORMAL_CLOSURE) == 1006);
static_assert(static_cast<int>(CloseCode::INVALID_FRAME_PAYLOAD_DATA) == 1007);
static_assert(static_cast<int>(CloseCode::POLICY_VIOLATION) == 1008);
static_assert(static_cast<int>(CloseCode::MESSAGE_TOO_BIG) == 1009);
static_assert(static_cast<int>(CloseCode::MANDATORY_EXTENSION) == 1010);
static_assert(static_cast<int>(CloseCode::INTERNAL_ERROR) == 1011);
static_assert(static_cast<int>(CloseCode::SERVICE_RESTART) == 1012);
static_assert(static_cast<int>(CloseCode::TRY_AGAIN_LATER) == 1013);
static_assert(static_cast<int>(CloseCode::BAD_GATEWAY) == 1014);
static_assert(static_cast<int>(CloseCode::TLS_HANDSHAKE) == 1015);
static_assert(sizeof(CloseCode) == 2);
static_assert(http::close_code_phrase(CloseCode::MESSAGE_TOO_BIG) == "Message Too Big");
static_assert(http::close_code_phrase(CloseCode::BAD_GATEWAY) == "Bad Gateway");
static_assert(http::close_code_phrase(CloseCode{4001}).empty());
static_assert(http::close_code_name(CloseCode::TRY_AGAIN_LATER) == "TRY_AGAIN_LATER");
static_assert(http::close_code_from_name("POLICY_VIOLATION") == CloseCode::POLICY_VIOLATION);

// DESIGN: may_send is 1000-1003, 1007-1014, the registered codes of 3000-3999 and all of
// 4000-4999; may_receive is the same and all of 3000-3999. Checked over every 16-bit value.
constexpr bool registered_3xxx(unsigned code) { return code == 3000 || code == 3003 || code == 3008; }
constexpr bool expected_send(unsigned code) {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || registered_3xxx(code) ||
           (code >= 4000 && code <= 4999);
}
constexpr bool expected_receive(unsigned code) { return expected_send(code) || (code >= 3000 && code <= 3999); }
constexpr bool ranges_hold(unsigned first, unsigned last) {
    for (unsigned code = first; code <= last; ++code) {
        const auto value = static_cast<std::uint16_t>(code);
        if (http::may_send_close_code(value) != expected_send(code) ||
            http::may_receive_close_code(value) != expected_receive(code))
            return false;
    }
    return true;
}
// Each slice is a constant evaluation of its own, within clang's limit on steps for one.
template <unsigned Slice>
inline constexpr bool slice_holds = ranges_hold(Slice * 4096, Slice * 4096 + 4095);
template <unsigned... Slices>
constexpr bool every_slice_holds(std::integer_sequence<unsigned, Slices...>) {
    return (slice_holds<Slices> && ...);
}
static_assert(every_slice_holds(std::make_integer_sequence<unsigned, 16>{}));

}  // namespace

BOOST_AUTO_TEST_SUITE(close_codes)

BOOST_AUTO_TEST_CASE(every_code_round_trips) {
    for (const http::CloseCodeInfo& info : http::close_codes()) {
        BOOST_TEST_CONTEXT(info.value()) {
            BOOST_TEST(http::close_code_info(info.code) == &info);
            BOOST_TEST(http::close_code_from_name(info.name) == info.code);
            BOOST_TEST(!info.phrase.empty());
            BOOST_TEST(!info.meaning.empty());
            BOOST_TEST(http::may_receive_close_code(info.value()) == info.in_close_frame);
            BOOST_TEST(http::may_send_close_code(info.value()) == info.in_close_frame);
        }
    }
    BOOST_TEST(http::close_codes().size() == 18);  // 1000-1015 but 1004 (reserved), 3000, 3003, 3008
    BOOST_TEST(http::close_code_info(CloseCode{1004}) == nullptr);
    BOOST_TEST(!http::close_code_info(CloseCode::TLS_HANDSHAKE)->in_close_frame);
}

BOOST_AUTO_TEST_CASE(the_edges_of_each_range) {
    for (const std::uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 3001, 5000, 65535})
        BOOST_TEST(!http::may_send_close_code(code), code);
    for (const std::uint16_t code : {1000, 1003, 1007, 1014, 3000, 3008, 4000, 4999})
        BOOST_TEST(http::may_send_close_code(code), code);
    for (const std::uint16_t code : {3001, 3999})
        BOOST_TEST(http::may_receive_close_code(code), code);
    for (const std::uint16_t code : {1004, 1005, 1006, 1015, 2999, 5000})
        BOOST_TEST(!http::may_receive_close_code(code), code);
}

BOOST_AUTO_TEST_CASE(printing) {
    std::ostringstream out;
    out << CloseCode::MESSAGE_TOO_BIG << ", " << CloseCode{4001};
    BOOST_TEST(out.str() == "1009 Message Too Big, 4001");
}

BOOST_AUTO_TEST_SUITE_END()
