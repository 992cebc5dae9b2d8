// The client through a forward proxy the test starts (Python's standard library): plain http in
// absolute form, https through a CONNECT tunnel to nginx with the test's CA, credentials, the
// environment variables and NO_PROXY.
#include <http/client.hpp>
#include <http/router.hpp>
#include <http/server.hpp>

#include "site.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

using Kind = http::TransportError::Kind;

namespace {

class ProxyProcess {
public:
    explicit ProxyProcess(const std::string& credentials = {}) {
        pid_ = ::fork();
        if (pid_ == 0) {
            if (credentials.empty())
                ::execlp("python3", "python3", HTTPKIT_TEST_PROXY, port_file_.c_str(), log_file_.c_str(), static_cast<char*>(nullptr));
            else
                ::execlp("python3", "python3", HTTPKIT_TEST_PROXY, port_file_.c_str(), log_file_.c_str(), credentials.c_str(),
                         static_cast<char*>(nullptr));
            ::_exit(127);
        }
        for (int i = 0; i < 1000 && !std::filesystem::exists(port_file_); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        std::ifstream(port_file_) >> port_;
        BOOST_REQUIRE_MESSAGE(port_ > 0, "the test proxy did not start");
    }
    ~ProxyProcess() {
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    /// The request lines the proxy saw.
    std::string log() const {
        std::ifstream in(log_file_);
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }

private:
    test::TempDir dir_;
    std::string port_file_ = (dir_.path() / "port").string();
    std::string log_file_ = (dir_.path() / "log").string();
    pid_t pid_ = -1;
    int port_ = 0;
};

// Sets an environment variable for one scope.
struct ScopedEnv {
    ScopedEnv(const char* name, const std::string& value) : name_(name) { ::setenv(name, value.c_str(), 1); }
    ~ScopedEnv() { ::unsetenv(name_); }
    const char* name_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(proxy)

BOOST_AUTO_TEST_CASE(http_and_https_through_the_proxy) {
    const auto& site = test::Site::get();
    ProxyProcess proxy;
    http::Client client;
    client.proxy = proxy.url();
    client.ca_cert = site.ca();
    BOOST_TEST(client.get(site.http("/small.txt")).body == "small file\n");
    // The request named the URL whole, as a proxy needs.
    BOOST_TEST(proxy.log().find("GET " + site.http("/small.txt") + "\n") != std::string::npos);
    // https: a tunnel, and the certificate checked end to end.
    BOOST_TEST(client.get(site.https("/hello")).body == "secure");
    BOOST_TEST(proxy.log().find("CONNECT localhost:" + std::to_string(site.https_port) + "\n") != std::string::npos);
    // A proxy given as host:port, as curl takes it.
    client.proxy = proxy.url().substr(7);
    BOOST_TEST(client.get(site.http("/small.txt")).body == "small file\n");
}

BOOST_AUTO_TEST_CASE(a_websocket_goes_through_a_tunnel) {
    // A forwarding proxy would not carry the upgrade: ws asks for a tunnel, as wss does.
    test::TestServer server([](http::Server& s) {
        http::Router router;
        router.websocket("/ws", [](http::Request&, http::WebSocket ws) {
            ws.on_message([](http::WebSocket& socket, const http::Message& m) { socket.send(m.data, m.binary); });
        });
        s.on_receive(router);
    });
    ProxyProcess proxy;
    http::Client client;
    client.proxy = proxy.url();
    const std::string authority = "127.0.0.1:" + std::to_string(server.port());
    http::WebSocket ws = client.websocket("ws://" + authority + "/ws");
    BOOST_TEST(ws.send("through"));
    const auto m = ws.receive();
    BOOST_REQUIRE(m.has_value());
    BOOST_TEST(m->data == "through");
    BOOST_TEST(proxy.log().find("CONNECT " + authority + "\n") != std::string::npos, proxy.log());
}

BOOST_AUTO_TEST_CASE(credentials_and_refusals) {
    const auto& site = test::Site::get();
    ProxyProcess proxy("user:s3cret");
    http::Client client;
    client.ca_cert = site.ca();
    client.proxy = "http://user:s3cret@" + proxy.url().substr(7);
    BOOST_TEST(client.get(site.http("/small.txt")).body == "small file\n");
    BOOST_TEST(client.get(site.https("/hello")).body == "secure");
    client.proxy = proxy.url();  // no credentials
    BOOST_TEST(client.get(site.http("/small.txt")).status == http::PROXY_AUTHENTICATION_REQUIRED);
    try {
        client.get(site.https("/hello"));
        BOOST_FAIL("a refused CONNECT must throw");
    } catch (const http::TransportError& e) {
        BOOST_TEST((e.kind() == Kind::connect));
        BOOST_TEST(std::string(e.what()).find("refused CONNECT to localhost:") != std::string::npos);
        BOOST_TEST(std::string(e.what()).find("407") != std::string::npos);
    }
    client.proxy = "https://127.0.0.1:1";
    BOOST_CHECK_THROW(client.get(site.http("/small.txt")), http::TransportError);
}

BOOST_AUTO_TEST_CASE(the_environment_as_curl_reads_it) {
    const auto& site = test::Site::get();
    ProxyProcess proxy;
    http::Client client;
    client.ca_cert = site.ca();
    {
        const ScopedEnv upper("HTTP_PROXY", proxy.url());  // ignored, as curl ignores it
        BOOST_TEST(client.get(site.http("/small.txt")).body == "small file\n");
        BOOST_TEST(proxy.log().empty());
    }
    {
        const ScopedEnv lower("http_proxy", proxy.url());
        const ScopedEnv secure("HTTPS_PROXY", proxy.url());
        BOOST_TEST(client.get(site.http("/small.txt")).body == "small file\n");
        BOOST_TEST(client.get(site.https("/hello")).body == "secure");
        const std::string seen = proxy.log();
        BOOST_TEST(seen.find("GET http://") != std::string::npos);
        BOOST_TEST(seen.find("CONNECT localhost:") != std::string::npos);
        {
            const ScopedEnv none("NO_PROXY", "example.org, .localhost,127.0.0.1");
            BOOST_TEST(client.get(site.http("/small.txt")).body == "small file\n");
            BOOST_TEST(client.get(site.https("/hello")).body == "secure");
            BOOST_TEST(proxy.log() == seen);  // nothing more went through it
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
