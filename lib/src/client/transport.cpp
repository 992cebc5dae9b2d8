#include "client/transport.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace http::detail {

namespace {

using Kind = TransportError::Kind;

int remaining_ms(Clock::time_point deadline) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left <= 0 ? 0 : left > INT32_MAX ? INT32_MAX : static_cast<int>(left);
}

std::string errno_text(int error) { return std::strerror(error); }

std::string openssl_errors() {
    std::string text;
    while (const unsigned long code = ERR_get_error()) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof buffer);
        // "error:0A00010B:SSL routines::wrong version number" -> "wrong version number"
        std::string_view line = buffer;
        const std::size_t reason = line.rfind(':');
        if (!text.empty())
            text += "; ";
        text += reason == std::string_view::npos ? line : line.substr(reason + 1);
    }
    return text;
}

// OpenSSL writes to the socket with write(2): a peer that is gone would raise SIGPIPE, and a
// library must not kill its host process. Blocked for the call; one it caused is swallowed.
class SigpipeBlock {
public:
    SigpipeBlock() {
        sigemptyset(&set_);
        sigaddset(&set_, SIGPIPE);
        sigset_t pending;
        sigpending(&pending);
        was_pending_ = sigismember(&pending, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &set_, &old_);
    }
    ~SigpipeBlock() {
        if (!was_pending_) {
            sigset_t pending;
            sigpending(&pending);
            if (sigismember(&pending, SIGPIPE)) {
                const timespec zero{0, 0};
                sigtimedwait(&set_, nullptr, &zero);
            }
        }
        pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    }

private:
    sigset_t set_;
    sigset_t old_;
    bool was_pending_ = false;
};

std::string address_text(const sockaddr* address) {
    char host[NI_MAXHOST] = "?";
    char port[NI_MAXSERV] = "?";
    getnameinfo(address, address->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in), host, sizeof host,
                port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV);
    // Built with appends: GCC 12 warns falsely (-Wrestrict) about a chain of operator+ here.
    std::string text;
    if (address->sa_family == AF_INET6)
        text.append("[").append(host).append("]");
    else
        text.append(host);
    return text.append(":").append(port);
}

struct AddrinfoFree {
    void operator()(addrinfo* a) const noexcept { freeaddrinfo(a); }
};
using Addresses = std::unique_ptr<addrinfo, AddrinfoFree>;

// getaddrinfo() can block for as long as the resolver likes; getaddrinfo_a() lets the lookup
// be abandoned at the deadline.
Addresses resolve(const Url& url, Clock::time_point deadline) {
    const std::string port = std::to_string(url.port);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    addrinfo* result = nullptr;
    if (getaddrinfo(url.host.c_str(), port.c_str(), &hints, &result) == 0)
        return Addresses(result);  // an address literal: nothing to look up

    struct Lookup {
        std::string host, port;
        addrinfo hints{};
        gaicb request{};
    };
    auto lookup = std::make_unique<Lookup>();
    lookup->host = url.host;
    lookup->port = port;
    lookup->hints.ai_family = AF_UNSPEC;
    lookup->hints.ai_socktype = SOCK_STREAM;
    lookup->hints.ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV;
    lookup->request.ar_name = lookup->host.c_str();
    lookup->request.ar_service = lookup->port.c_str();
    lookup->request.ar_request = &lookup->hints;
    gaicb* list[] = {&lookup->request};
    if (const int rc = getaddrinfo_a(GAI_NOWAIT, list, 1, nullptr); rc != 0)
        throw NetFailure(Kind::dns, "DNS lookup of '" + url.host + "' failed: " + gai_strerror(rc));
    while (gai_error(&lookup->request) == EAI_INPROGRESS) {
        const int left = remaining_ms(deadline);
        if (left == 0) {
            // A lookup that cannot be cancelled still writes into `lookup`: it is left to it.
            if (gai_cancel(&lookup->request) == EAI_NOTCANCELED)
                lookup.release();
            throw NetFailure(Kind::dns, "DNS lookup of '" + url.host + "' timed out");
        }
        const timespec wait{left / 1000, (left % 1000) * 1000000L};
        gai_suspend(list, 1, &wait);
    }
    if (const int rc = gai_error(&lookup->request); rc != 0)
        throw NetFailure(Kind::dns, "DNS lookup of '" + url.host + "' failed: " + gai_strerror(rc));
    return Addresses(lookup->request.ar_result);
}

}  // namespace

// --- TLS context -----------------------------------------------------------------------------

TlsContext::TlsContext(bool verify_peer, const std::string& ca_file) : verify_peer_(verify_peer), ca_file_(ca_file) {
    context_ = SSL_CTX_new(TLS_client_method());
    if (!context_)
        throw NetFailure(Kind::tls, "cannot create a TLS context: " + openssl_errors());
    SSL_CTX_set_min_proto_version(context_, TLS1_2_VERSION);
    // A server that closes without close_notify ends a close-delimited body, as browsers allow.
    SSL_CTX_set_options(context_, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(context_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_verify(context_, verify_peer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
    const bool loaded = ca_file.empty() ? SSL_CTX_set_default_verify_paths(context_) == 1
                                        : SSL_CTX_load_verify_locations(context_, ca_file.c_str(), nullptr) == 1;
    if (!loaded) {
        const std::string why = openssl_errors();
        SSL_CTX_free(context_);
        throw NetFailure(Kind::tls, ca_file.empty() ? "cannot load the system's CA certificates: " + why
                                                     : "cannot load CA certificates from '" + ca_file + "': " + why);
    }
}

TlsContext::~TlsContext() { SSL_CTX_free(context_); }

// --- connections -----------------------------------------------------------------------------

std::unique_ptr<ClientConnection> ClientConnection::open(const Url& url, TlsContext* tls, bool verify_host,
                                                         Clock::time_point deadline) {
    const Addresses addresses = resolve(url, deadline);
    std::string failure;
    Kind failure_kind = Kind::connect;
    for (const addrinfo* a = addresses.get(); a != nullptr; a = a->ai_next) {
        const std::string peer = address_text(a->ai_addr);
        const int fd = ::socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
        if (fd < 0) {
            failure = "cannot create a socket: " + errno_text(errno);
            continue;
        }
        std::unique_ptr<ClientConnection> connection(new ClientConnection(fd, peer));
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
            failure = "connect to " + peer + " failed: " + errno_text(errno);
            continue;
        }
        pollfd p{fd, POLLOUT, 0};
        const int ready = ::poll(&p, 1, remaining_ms(deadline));
        if (ready == 0) {
            failure = "connect to " + peer + " timed out";
            failure_kind = Kind::connect;
            break;  // the deadline is spent for every address
        }
        int error = 0;
        socklen_t length = sizeof error;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
        if (ready < 0 || error != 0) {
            failure = "connect to " + peer + " failed: " + errno_text(ready < 0 ? errno : error);
            continue;
        }
        if (tls)
            connection->handshake(url, *tls, verify_host, deadline);
        return connection;
    }
    throw NetFailure(failure_kind, failure.empty() ? "no address for '" + url.host + "'" : failure);
}

void ClientConnection::handshake(const Url& url, TlsContext& tls, bool verify_host, Clock::time_point deadline) {
    ssl_ = SSL_new(tls.get());
    if (!ssl_ || SSL_set_fd(ssl_, fd_) != 1)
        throw NetFailure(Kind::tls, "cannot start TLS: " + openssl_errors());
    const bool literal = url.is_ipv6() || url.host.find_first_not_of("0123456789.") == std::string::npos;
    if (!literal)
        SSL_set_tlsext_host_name(ssl_, url.host.c_str());  // SNI is for names only
    if (tls.verify_peer() && verify_host) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
        if (literal)
            X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str());
        else
            SSL_set1_host(ssl_, url.host.c_str());
    }
    while (true) {
        ERR_clear_error();
        const int rc = SSL_connect(ssl_);
        if (rc == 1)
            return;
        const int error = SSL_get_error(ssl_, rc);
        if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
            wait(error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, "TLS handshake");
            continue;
        }
        if (const long verify = SSL_get_verify_result(ssl_); verify != X509_V_OK)
            throw NetFailure(Kind::tls, "TLS certificate verification failed for " + url.host + ": " +
                                            X509_verify_cert_error_string(verify));
        std::string why = openssl_errors();
        if (why.empty())
            why = error == SSL_ERROR_SYSCALL && errno != 0 ? errno_text(errno) : "the server closed the connection";
        throw NetFailure(Kind::tls, "TLS handshake with " + peer_ + " failed: " + why);
    }
}

ClientConnection::~ClientConnection() {
    if (ssl_) {
        const SigpipeBlock no_sigpipe;
        SSL_shutdown(ssl_);  // one non-blocking attempt at close_notify
        SSL_free(ssl_);
    }
    if (fd_ >= 0)
        ::close(fd_);
}

void ClientConnection::wait(short events, Clock::time_point deadline, const char* what) {
    pollfd p{fd_, events, 0};
    while (true) {
        const int ready = ::poll(&p, 1, remaining_ms(deadline));
        if (ready > 0)
            return;
        if (ready == 0)
            throw NetFailure(Kind::timeout, std::string(what) + " timed out");
        if (errno != EINTR)
            throw NetFailure(Kind::io, std::string(what) + ": " + errno_text(errno));
    }
}

bool ClientConnection::wait_readable(Clock::time_point deadline) {
    if (ssl_ && SSL_pending(ssl_) > 0)
        return true;
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, remaining_ms(deadline)) > 0;
}

std::size_t ClientConnection::read_some(char* buffer, std::size_t size, Clock::time_point deadline) {
    if (awaiting_answer_ && (!ssl_ || SSL_pending(ssl_) == 0))
        wait(POLLIN, deadline, "waiting for the response");  // spares a read that would find nothing
    awaiting_answer_ = false;
    while (true) {
        if (!ssl_) {
            const ssize_t n = ::recv(fd_, buffer, size, 0);
            if (n >= 0)
                return static_cast<std::size_t>(n);
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                wait(POLLIN, deadline, "waiting for the response");
                continue;
            }
            if (errno == EINTR)
                continue;
            if (errno == ECONNRESET)
                throw NetFailure(Kind::closed, "the server reset the connection");
            throw NetFailure(Kind::io, "reading from " + peer_ + " failed: " + errno_text(errno));
        }
        ERR_clear_error();
        const int n = SSL_read(ssl_, buffer, static_cast<int>(std::min<std::size_t>(size, INT32_MAX)));
        if (n > 0)
            return static_cast<std::size_t>(n);
        const int error = SSL_get_error(ssl_, n);
        if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
            wait(error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, "waiting for the response");
            continue;
        }
        if (error == SSL_ERROR_ZERO_RETURN)
            return 0;
        if (error == SSL_ERROR_SYSCALL && errno == ECONNRESET)
            throw NetFailure(Kind::closed, "the server reset the connection");
        const std::string why = openssl_errors();
        if (why.empty() && error == SSL_ERROR_SYSCALL)
            return 0;
        throw NetFailure(Kind::tls, "TLS read from " + peer_ + " failed: " + why);
    }
}

void ClientConnection::write_all(std::string_view data, Clock::time_point deadline) {
    awaiting_answer_ = true;
    while (!data.empty()) {
        if (!ssl_) {
            const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
            if (n >= 0) {
                data.remove_prefix(static_cast<std::size_t>(n));
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                wait(POLLOUT, deadline, "sending the request");
                continue;
            }
            if (errno == EINTR)
                continue;
            throw NetFailure(errno == EPIPE || errno == ECONNRESET ? Kind::closed : Kind::io,
                             "sending to " + peer_ + " failed: " + errno_text(errno));
        }
        ERR_clear_error();
        int n;
        {
            const SigpipeBlock no_sigpipe;
            n = SSL_write(ssl_, data.data(), static_cast<int>(std::min<std::size_t>(data.size(), INT32_MAX)));
        }
        if (n > 0) {
            data.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        const int error = SSL_get_error(ssl_, n);
        if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
            wait(error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, "sending the request");
            continue;
        }
        throw NetFailure(Kind::closed, "TLS write to " + peer_ + " failed: " + openssl_errors());
    }
}

bool ClientConnection::still_usable() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 0) == 0)
        return true;  // nothing arrived while idle
    if (!ssl_) {
        char byte;
        const ssize_t n = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
    // TLS 1.3 sends session tickets after the handshake: reading them is fine, data or a close is not.
    char byte;
    ERR_clear_error();
    const int n = SSL_peek(ssl_, &byte, 1);
    return n <= 0 && SSL_get_error(ssl_, n) == SSL_ERROR_WANT_READ;
}

}  // namespace http::detail
