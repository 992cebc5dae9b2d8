#include "client/transport.hpp"

#include "proto/message/serialize.hpp"
#include "proto/parser/response_parser.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace http::detail {

namespace {

using Kind = TransportError::Kind;

std::string errno_text(int error) { return std::strerror(error); }

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

// A TCP connection to `url`'s host and port, tried on each address in turn.
std::unique_ptr<Socket> connect_socket(const Url& url, Clock::time_point deadline) {
    const Addresses addresses = resolve(url, deadline);
    std::string failure;
    for (const addrinfo* a = addresses.get(); a != nullptr; a = a->ai_next) {
        const std::string peer = address_text(a->ai_addr);
        const int fd = ::socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
        if (fd < 0) {
            failure = "cannot create a socket: " + errno_text(errno);
            continue;
        }
        auto socket = std::make_unique<Socket>(fd, peer);
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
            break;  // the deadline is spent for every address
        }
        int error = 0;
        socklen_t length = sizeof error;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
        if (ready < 0 || error != 0) {
            failure = "connect to " + peer + " failed: " + errno_text(ready < 0 ? errno : error);
            continue;
        }
        return socket;
    }
    throw NetFailure(Kind::connect, failure.empty() ? "no address for '" + url.host + "'" : failure);
}

// Asks `proxy` for a tunnel to `url`'s authority (RFC 9110, Section 9.3.6) over `stream`.
void open_tunnel(TcpStream& stream, const Url& url, const Proxy& proxy, Clock::time_point deadline) {
    const std::string authority = url.authority();
    RequestFraming framing;
    framing.method = "CONNECT";
    framing.target = authority;
    framing.host = authority;
    Headers fields;
    if (!proxy.authorization.empty())
        fields.add("Proxy-Authorization", proxy.authorization);
    std::string request;
    try {
        serialize_request(framing, fields, request);
    } catch (const std::invalid_argument& e) {
        throw NetFailure(Kind::invalid_request, std::string("cannot ask the proxy for a tunnel: ") + e.what());
    }
    stream.write_all(request, deadline);
    ResponseHeadParser parser;
    ResponseHead head;
    std::string received;
    char buffer[4096];
    while (true) {
        const std::size_t n = stream.read_some(buffer, sizeof buffer, deadline);
        if (n == 0)
            throw NetFailure(Kind::connect, "the proxy " + proxy.url.authority() + " closed the connection during CONNECT");
        received.append(buffer, n);
        const auto result = parser.parse(received, head, true);
        if (result == ResponseHeadParser::Result::error)
            throw NetFailure(Kind::malformed_response, "the proxy " + proxy.url.authority() +
                                                           " answered CONNECT with a malformed response: " +
                                                           std::string(parser.error().reason));
        if (result == ResponseHeadParser::Result::complete)
            break;
    }
    if (head.status < 200 || head.status > 299)
        throw NetFailure(Kind::connect, "the proxy " + proxy.url.authority() + " refused CONNECT to " + url.authority() +
                                            ": " + to_string(static_cast<Status>(head.status)));
    if (received.size() != head.size)
        throw NetFailure(Kind::malformed_response, "the proxy " + proxy.url.authority() + " sent bytes after its CONNECT answer");
}

}  // namespace

std::unique_ptr<ClientConnection> open_connection(const Url& url, TlsContext* tls, bool verify_host,
                                                  Clock::time_point deadline, const Proxy* proxy, bool tunnel) {
    std::unique_ptr<Socket> socket = connect_socket(proxy ? proxy->url : url, deadline);
    auto connection = std::make_unique<ClientConnection>();
    if (proxy && (tls || tunnel)) {
        TcpStream through(std::move(socket));
        open_tunnel(through, url, *proxy, deadline);
        socket = through.release();
    }
    if (tls) {
        connection->stream = std::make_unique<TlsStream>(std::move(socket), *tls, url.host, verify_host, deadline);
    } else {
        connection->stream = std::make_unique<TcpStream>(std::move(socket));
    }
    return connection;
}

}  // namespace http::detail
