// A blocking TLS client on OpenSSL, for tests that must choose what the handshake offers
// (versions, ALPN protocols, a session to resume) and see what the server chose. Also the test
// certificates: tests/client/make-certs.sh run once into a temporary directory.
#pragma once

#include "support/nginx.hpp"  // TempDir
#include "support/raw_connection.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <csignal>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace test {

/// The certificates of make-certs.sh (ca, localhost, other, expired, self), made once per process.
class TestCertificates {
public:
    static const TestCertificates& get() {
        static const TestCertificates certificates;
        return certificates;
    }
    std::string pem(const std::string& name) const { return (dir_.path() / (name + ".pem")).string(); }
    std::string key(const std::string& name) const { return (dir_.path() / (name + ".key")).string(); }

private:
    TestCertificates() {
        if (std::system(("sh " HTTPKIT_MAKE_CERTS " " + dir_.path().string()).c_str()) != 0)
            throw std::runtime_error("make-certs.sh failed");
    }
    TempDir dir_;
};

struct TlsOptions {
    int min_version = TLS1_2_VERSION;
    int max_version = 0;  // the highest OpenSSL has
    std::vector<std::string> alpn = {"http/1.1"};
    SSL_SESSION* session = nullptr;  // to resume
    std::string host = "localhost";
    /// Bytes sent in the clear before the handshake (a PROXY protocol header); with
    /// `preamble_with_hello`, in the same segment as the ClientHello (TCP_CORK, which costs 200 ms).
    std::string preamble{};
    bool preamble_with_hello = false;
};

class TlsClient {
public:
    /// Connects to 127.0.0.1:`port`, trusting the test CA. handshake() runs the handshake.
    TlsClient(std::uint16_t port, const TlsOptions& options = {}) : socket_(port) {
        std::signal(SIGPIPE, SIG_IGN);  // OpenSSL writes with write(2): a closed server must fail a test, not kill it
        const timeval limit{10, 0};     // a server that says nothing fails the read, not the run
        ::setsockopt(socket_.fd(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
        if (options.preamble_with_hello) {
            const int on = 1;
            ::setsockopt(socket_.fd(), IPPROTO_TCP, TCP_CORK, &on, sizeof on);
        }
        if (!options.preamble.empty())
            socket_.send(options.preamble);
        context_.reset(SSL_CTX_new(TLS_client_method()));
        SSL_CTX_set_min_proto_version(context_.get(), options.min_version);
        SSL_CTX_set_max_proto_version(context_.get(), options.max_version);
        SSL_CTX_load_verify_locations(context_.get(), TestCertificates::get().pem("ca").c_str(), nullptr);
        SSL_CTX_set_verify(context_.get(), SSL_VERIFY_PEER, nullptr);
        std::string wire;
        for (const std::string& protocol : options.alpn)
            wire += static_cast<char>(protocol.size()) + protocol;
        if (!wire.empty())
            SSL_CTX_set_alpn_protos(context_.get(), reinterpret_cast<const unsigned char*>(wire.data()),
                                    static_cast<unsigned>(wire.size()));
        ssl_.reset(SSL_new(context_.get()));
        SSL_set_fd(ssl_.get(), socket_.fd());
        SSL_ctrl(ssl_.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(options.host.c_str()));
        if (options.session)
            SSL_set_session(ssl_.get(), options.session);
    }

    ~TlsClient() {
        if (ssl_ && SSL_is_init_finished(ssl_.get()))
            SSL_shutdown(ssl_.get());  // a session closed without close_notify cannot be resumed
        ERR_clear_error();
    }
    TlsClient(const TlsClient&) = delete;
    TlsClient& operator=(const TlsClient&) = delete;

    /// True if the handshake completed; else error() says why.
    bool handshake() {
        if (SSL_connect(ssl_.get()) == 1)
            return true;
        char text[256];
        ERR_error_string_n(ERR_get_error(), text, sizeof text);
        error_ = text;
        ERR_clear_error();
        return false;
    }
    const std::string& error() const { return error_; }
    std::string version() const { return SSL_get_version(ssl_.get()); }
    std::string alpn() const {
        const unsigned char* protocol = nullptr;
        unsigned length = 0;
        SSL_get0_alpn_selected(ssl_.get(), &protocol, &length);
        return protocol ? std::string(reinterpret_cast<const char*>(protocol), length) : std::string();
    }
    bool resumed() const { return SSL_session_reused(ssl_.get()) == 1; }
    /// The session, to resume in another client; the caller frees it with SSL_SESSION_free.
    SSL_SESSION* session() const { return SSL_get1_session(ssl_.get()); }
    /// The common name of the server's certificate.
    std::string peer_name() const {
        X509* const certificate = SSL_get1_peer_certificate(ssl_.get());
        if (!certificate)
            return {};
        char name[256] = {};
        X509_NAME_get_text_by_NID(X509_get_subject_name(certificate), NID_commonName, name, sizeof name);
        X509_free(certificate);
        return name;
    }

    void send(std::string_view data) {
        while (!data.empty()) {
            std::size_t written = 0;
            if (SSL_write_ex(ssl_.get(), data.data(), data.size(), &written) != 1)
                throw std::runtime_error("TLS write failed");
            data.remove_prefix(written);
        }
    }
    /// What arrives until the server closes (or a read fails or times out).
    std::string read_until_close() {
        std::string all;
        while (read_some(all)) {
        }
        return all;
    }
    /// Reads until `count` whole responses (each with Content-Length) are in.
    std::string read_responses(int count) {
        std::string all;
        while (complete_responses(all) < count && read_some(all)) {
        }
        return all;
    }

private:
    bool read_some(std::string& into) {
        char buffer[16384];
        std::size_t got = 0;
        if (SSL_read_ex(ssl_.get(), buffer, sizeof buffer, &got) != 1) {
            ERR_clear_error();
            return false;
        }
        into.append(buffer, got);
        return true;
    }
    static int complete_responses(std::string_view data) {
        int count = 0;
        while (true) {
            const std::size_t end = data.find("\r\n\r\n");
            if (end == std::string_view::npos)
                return count;
            const std::size_t field = data.substr(0, end).find("Content-Length: ");
            const std::size_t length = field == std::string_view::npos ? 0 : std::stoul(std::string(data.substr(field + 16, 20)));
            if (data.size() < end + 4 + length)
                return count;
            data.remove_prefix(end + 4 + length);
            ++count;
        }
    }

    struct Free {
        void operator()(SSL_CTX* context) const { SSL_CTX_free(context); }
        void operator()(SSL* ssl) const { SSL_free(ssl); }
    };
    RawConnection socket_;
    std::unique_ptr<SSL_CTX, Free> context_;
    std::unique_ptr<SSL, Free> ssl_;
    std::string error_;
};

}  // namespace test
