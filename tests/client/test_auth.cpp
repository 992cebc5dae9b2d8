// Authentication: Basic against nginx's auth_basic, Digest (RFC 7616) against a server of the
// test's own that checks each answer itself (and that curl --digest also satisfies), nonce
// counting and a stale nonce, and credentials that never follow a redirect to another origin.
#include <http/client.hpp>
#include <http/server.hpp>

#include "proto/message/challenge.hpp"
#include "site.hpp"
#include "support/process.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

#include <openssl/evp.h>

#include <mutex>
#include <vector>

namespace {

std::string hex_digest(const std::string& algorithm, const std::string& data) {
    unsigned char hash[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(data.data(), data.size(), hash, &length, algorithm == "SHA-256" ? EVP_sha256() : EVP_md5(), nullptr);
    std::string hex;
    for (unsigned int i = 0; i < length; ++i) {
        static constexpr char digits[] = "0123456789abcdef";
        hex += digits[hash[i] >> 4];
        hex += digits[hash[i] & 15];
    }
    return hex;
}

// A server that challenges with Digest (SHA-256 and MD5) and Basic, and checks Digest answers
// as RFC 7616 Section 3.4.1 computes them. Every `rotate` requests its nonce changes, and an
// answer with the old one gets stale=true.
struct DigestSite {
    std::mutex mutex;
    std::string nonce = "nonce-1";
    int answers = 0;
    int rotate = 1000;
    std::vector<std::string> seen;  // algorithm and nc of each accepted answer
    std::vector<std::string> refusals;

    void challenge(http::Response& res, bool stale) {
        const std::string common = "realm=\"test@httpkit\", qop=\"auth\", nonce=\"" + nonce + "\", opaque=\"xyz\"" +
                                   (stale ? ", stale=true" : "");
        res.status = http::UNAUTHORIZED;
        res.headers.add("WWW-Authenticate", "Digest " + common + ", algorithm=SHA-256");
        res.headers.add("WWW-Authenticate", "Digest " + common + ", algorithm=MD5, Basic realm=\"test@httpkit\"");
    }

    void handle(http::Request& req, http::Response& res) {
        std::lock_guard lock(mutex);
        const std::string_view authorization = req.headers.get("Authorization");
        const auto parsed = http::detail::parse_challenges(authorization);
        if (parsed.empty() || parsed[0].scheme != "digest") {
            challenge(res, false);
            return;
        }
        const auto& a = parsed[0];
        std::string algorithm(a.param("algorithm"));
        if (algorithm.empty())
            algorithm = "MD5";
        if (a.param("nonce") != nonce) {
            challenge(res, true);
            return;
        }
        const std::string ha1 = hex_digest(algorithm, std::string(a.param("username")) + ":test@httpkit:Circle of Life");
        const std::string ha2 = hex_digest(algorithm, req.method + ":" + req.request_uri);
        const std::string expected = hex_digest(algorithm, ha1 + ":" + nonce + ":" + std::string(a.param("nc")) + ":" +
                                                               std::string(a.param("cnonce")) + ":auth:" + ha2);
        if (a.param("username") != "Mufasa" || a.param("uri") != req.request_uri || a.param("response") != expected ||
            a.param("opaque") != "xyz" || a.param("qop") != "auth") {
            refusals.emplace_back(authorization);
            challenge(res, false);
            return;
        }
        seen.push_back(algorithm + " " + std::string(a.param("nc")));
        if (++answers % rotate == 0)
            nonce = "nonce-" + std::to_string(answers);
        res.body = "welcome " + std::string(a.param("username"));
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(authentication)

BOOST_AUTO_TEST_CASE(basic_against_nginx) {
    const auto& site = test::Site::get();
    http::Client client;
    BOOST_TEST(client.get(site.http("/basic/secret.txt")).status == http::UNAUTHORIZED);  // no credentials
    client.username = "user";
    client.password = "s3cret";
    BOOST_TEST(client.get(site.http("/basic/secret.txt")).body == "behind basic\n");  // the challenge answered
    BOOST_TEST(http::Client().get("http://user:s3cret@127.0.0.1:" + std::to_string(site.http_port) + "/basic/secret.txt").body ==
               "behind basic\n");
    http::Client wrong;
    wrong.username = "user";
    wrong.password = "nope";
    BOOST_TEST(wrong.get(site.http("/basic/secret.txt")).status == http::UNAUTHORIZED);  // answered once, not forever
    http::Client digest_only;
    digest_only.auth_method = http::Auth::digest;
    digest_only.username = "user";
    digest_only.password = "s3cret";
    BOOST_TEST(digest_only.get(site.http("/basic/secret.txt")).status == http::UNAUTHORIZED);  // Basic not allowed
}

BOOST_AUTO_TEST_CASE(digest_sha256_md5_nonce_counting_and_stale) {
    DigestSite digest;
    digest.rotate = 3;
    test::TestServer server([&](http::Server& s) { s.on_receive([&](http::Request& req, http::Response& res) { digest.handle(req, res); }); });
    const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/dir/index.html?x=1";

    // curl's answer satisfies the test's checker: the checker is right.
    int status = 0;
    BOOST_TEST(test::run("curl -s --max-time 10 --digest -u 'Mufasa:Circle of Life' '" + url + "'", status) == "welcome Mufasa");

    http::Client client;
    client.username = "Mufasa";
    client.password = "Circle of Life";
    for (int i = 0; i < 5; ++i)
        BOOST_TEST(client.get(url).body == "welcome Mufasa");
    {
        std::lock_guard lock(digest.mutex);
        BOOST_TEST(digest.refusals.empty(), "refused: " << (digest.refusals.empty() ? "" : digest.refusals[0]));
        // SHA-256 chosen over MD5; later requests answer at once, counting the nonce up; the
        // server changes its nonce after every third accepted answer (curl's was the first), and
        // the answer with the old one is told stale=true and made again with the new nonce.
        BOOST_REQUIRE(digest.seen.size() == 6u);
        BOOST_TEST(digest.seen[1] == "SHA-256 00000001");
        BOOST_TEST(digest.seen[2] == "SHA-256 00000002");
        BOOST_TEST(digest.seen[3] == "SHA-256 00000001");  // stale: the new nonce
        BOOST_TEST(digest.seen[4] == "SHA-256 00000002");
        BOOST_TEST(digest.seen[5] == "SHA-256 00000003");
    }
    // Digest only, and MD5 when that is all there is.
    http::Client md5;
    md5.auth_method = http::Auth::digest;
    md5.username = "Mufasa";
    md5.password = "Circle of Life";
    test::TestServer md5_server([&](http::Server& s) {
        s.on_receive([&](http::Request& req, http::Response& res) {
            digest.handle(req, res);
            if (res.status == http::UNAUTHORIZED) {  // MD5 only (no algorithm: MD5), qop listed
                res.headers.erase("WWW-Authenticate");
                res.headers.add("WWW-Authenticate", "Digest realm=\"test@httpkit\", qop=\"auth,auth-int\", nonce=\"" +
                                                        digest.nonce + "\", opaque=\"xyz\"");
            }
        });
    });
    BOOST_TEST(md5.get("http://127.0.0.1:" + std::to_string(md5_server.port()) + "/m").body == "welcome Mufasa");
    std::lock_guard lock(digest.mutex);
    BOOST_TEST(digest.seen.back() == "MD5 00000001");
}

BOOST_AUTO_TEST_CASE(credentials_never_follow_a_redirect_elsewhere) {
    std::mutex mutex;
    std::vector<std::string> elsewhere_saw;
    test::TestServer other([&](http::Server& s) {
        s.on_receive([&](http::Request& req, http::Response& res) {
            std::lock_guard lock(mutex);
            elsewhere_saw.emplace_back(req.headers.get("Authorization"));
            res.status = http::UNAUTHORIZED;  // and it asks for them: still not given
            res.headers.set("WWW-Authenticate", "Basic realm=\"elsewhere\"");
        });
    });
    test::TestServer first([&](http::Server& s) {
        s.on_receive([&](http::Request& req, http::Response& res) {
            if (req.headers.get("Authorization").empty()) {
                res.status = http::UNAUTHORIZED;
                res.headers.set("WWW-Authenticate", "Basic realm=\"first\"");
                return;
            }
            res.redirect("http://127.0.0.1:" + std::to_string(other.port()) + "/x");
        });
    });
    http::Client client;
    client.username = "user";
    client.password = "secret";
    BOOST_TEST(client.get("http://127.0.0.1:" + std::to_string(first.port()) + "/").status == http::UNAUTHORIZED);
    std::lock_guard lock(mutex);
    BOOST_REQUIRE(elsewhere_saw.size() == 1u);  // no second try with credentials
    BOOST_TEST(elsewhere_saw[0].empty());
}

BOOST_AUTO_TEST_SUITE_END()
