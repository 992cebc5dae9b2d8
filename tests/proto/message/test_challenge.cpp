// WWW-Authenticate challenges: several in one field, quoted and bare values, odd spacing.
#include "proto/message/challenge.hpp"

#include <boost/test/unit_test.hpp>

using http::detail::parse_challenges;

BOOST_AUTO_TEST_SUITE(challenges)

BOOST_AUTO_TEST_CASE(several_in_one_field) {
    const auto c = parse_challenges(R"(Digest realm="a, b", nonce="n\"1", qop="auth,auth-int", algorithm=SHA-256 ,)"
                                    R"( Basic realm="x", Bearer, Newauth realm="apps", type=1)");
    BOOST_REQUIRE(c.size() == 4u);
    BOOST_TEST(c[0].scheme == "digest");
    BOOST_TEST(c[0].param("realm") == "a, b");
    BOOST_TEST(c[0].param("nonce") == "n\"1");
    BOOST_TEST(c[0].param("qop") == "auth,auth-int");
    BOOST_TEST(c[0].param("algorithm") == "SHA-256");
    BOOST_TEST(c[1].scheme == "basic");
    BOOST_TEST(c[1].param("realm") == "x");
    BOOST_TEST(c[2].scheme == "bearer");
    BOOST_TEST(c[2].params.empty());
    BOOST_TEST(c[3].param("type") == "1");
}

BOOST_AUTO_TEST_CASE(names_are_case_insensitive_and_garbage_ends_the_list) {
    const auto c = parse_challenges(R"(BASIC Realm="r", charset="UTF-8")");
    BOOST_REQUIRE(c.size() == 1u);
    BOOST_TEST(c[0].scheme == "basic");
    BOOST_TEST(c[0].param("realm") == "r");
    BOOST_TEST(c[0].param("charset") == "UTF-8");
    BOOST_TEST(parse_challenges("").empty());
    BOOST_TEST(parse_challenges(R"(Digest realm="unterminated)").size() == 1u);
    BOOST_TEST(parse_challenges("@@@").empty());
}

BOOST_AUTO_TEST_SUITE_END()
