// HTTPS against nginx with certificates the tests made: verification and what its failures say.
#include <http/client.hpp>

#include "client/site.hpp"

#include <boost/test/unit_test.hpp>

namespace {

// The TLS failure for `url`, as a message ("" if the request succeeded).
std::string tls_failure(http::Client& client, const std::string& url) {
    try {
        client.get(url);
        return "";
    } catch (const http::TransportError& e) {
        BOOST_TEST((e.kind() == http::TransportError::Kind::tls));
        BOOST_TEST(e.url() == url);
        return e.what();
    }
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(tls)

BOOST_AUTO_TEST_CASE(verified_with_the_test_ca) {
    const auto& site = test::Site::get();
    http::Client client;
    client.ca_cert = site.ca();
    BOOST_TEST(client.get(site.https("/hello")).body == "secure");
    BOOST_TEST(client.get(site.https("/hello", 0, "127.0.0.1")).body == "secure");  // IP in the certificate
    const std::string connection = client.get(site.https("/connection")).body;
    BOOST_TEST(client.get(site.https("/connection")).body == connection);  // kept alive over TLS
}

BOOST_AUTO_TEST_CASE(failures_say_what_failed) {
    const auto& site = test::Site::get();
    http::Client system_store;  // the test CA is not in it
    BOOST_TEST(contains(tls_failure(system_store, site.https("/hello")), "unable to get local issuer certificate"));

    http::Client client;
    client.ca_cert = site.ca();
    const std::string mismatch = tls_failure(client, site.https("/hello", site.wrong_name_port));
    BOOST_TEST(contains(mismatch, "hostname mismatch"));
    BOOST_TEST(contains(mismatch, "verification failed for localhost"));
    BOOST_TEST(contains(tls_failure(client, site.https("/hello", site.expired_port)), "certificate has expired"));
    BOOST_TEST(contains(tls_failure(client, site.https("/hello", site.self_signed_port)), "self-signed certificate"));
    // TLS spoken to a plain HTTP port.
    BOOST_TEST(contains(tls_failure(client, "https://127.0.0.1:" + std::to_string(site.http_port) + "/"), "TLS handshake"));

    http::Client missing_ca;
    missing_ca.ca_cert = "/nonexistent/ca.pem";
    BOOST_TEST(contains(tls_failure(missing_ca, site.https("/hello")), "cannot load CA certificates from '/nonexistent/ca.pem'"));
}

BOOST_AUTO_TEST_CASE(each_check_can_be_skipped_on_its_own) {
    const auto& site = test::Site::get();
    http::Client client;
    client.ca_cert = site.ca();
    client.skip_hostname_verification = true;  // the chain is still verified ...
    BOOST_TEST(client.get(site.https("/hello", site.wrong_name_port)).body == "secure");
    BOOST_TEST(contains(tls_failure(client, site.https("/hello", site.self_signed_port)), "self-signed"));  // ... so this fails

    http::Client insecure;
    insecure.skip_peer_verification = true;  // anything goes
    BOOST_TEST(insecure.get(site.https("/hello", site.self_signed_port)).body == "secure");
    BOOST_TEST(insecure.get(site.https("/hello", site.expired_port)).body == "secure");
}

BOOST_AUTO_TEST_SUITE_END()
