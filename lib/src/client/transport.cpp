#include "client/transport.hpp"

#include "proto/message/serialize.hpp"
#include "task/strand.hpp"
#include "proto/parser/response_parser.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <thread>
#include <utility>

namespace http::detail {

namespace {

using Kind = TransportError::Kind;

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

// A lookup under way on a thread of its own, which tells the loop of the coroutine that waits for
// it when it is done. Shared with that thread: a lookup given up at its deadline goes on writing
// into it.
struct Lookup {
    std::string host, port;
    int error = 0;
    addrinfo* result = nullptr;
    std::shared_ptr<Trigger> done = std::make_shared<Trigger>();
    std::shared_ptr<ReactorLife> loop;
    ~Lookup() {
        if (result)
            freeaddrinfo(result);
    }
};

// getaddrinfo() can block for as long as the resolver likes: it runs on a thread of its own (as
// getaddrinfo_a() would, whose threads sanitizers cannot follow), and the coroutine waits for it
// on its loop, or gives up at the deadline.
Task<Addresses> resolve(const Url& url, Clock::time_point deadline) {
    const std::string port = std::to_string(url.port);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    addrinfo* result = nullptr;
    if (getaddrinfo(url.host.c_str(), port.c_str(), &hints, &result) == 0)
        co_return Addresses(result);  // an address literal: nothing to look up

    Strand* const strand = Strand::current();
    if (!strand)
        throw std::logic_error("httpkit: a client's coroutine awaited outside a server's handler or http::run()");
    auto lookup = std::make_shared<Lookup>();
    lookup->host = url.host;
    lookup->port = port;
    lookup->loop = strand->reactor().life();
    try {
        std::thread([lookup] {
            addrinfo by_name{};
            by_name.ai_family = AF_UNSPEC;
            by_name.ai_socktype = SOCK_STREAM;
            by_name.ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV;
            addrinfo* found = nullptr;
            const int error = getaddrinfo(lookup->host.c_str(), lookup->port.c_str(), &by_name, &found);
            const std::lock_guard lock(lookup->loop->mutex);
            lookup->error = error;
            lookup->result = found;
            if (Reactor* const reactor = lookup->loop->reactor)
                reactor->post([done = lookup->done] { done->fire(); });
        }).detach();
    } catch (const std::system_error& e) {
        throw NetFailure(Kind::dns, "DNS lookup of '" + url.host + "' failed: cannot start its thread: " + e.what());
    }
    if (!co_await lookup->done->wait(0, deadline))
        throw NetFailure(Kind::dns, "DNS lookup of '" + url.host + "' timed out");
    int error = 0;
    addrinfo* found = nullptr;
    {
        const std::lock_guard lock(lookup->loop->mutex);
        error = lookup->error;
        found = std::exchange(lookup->result, nullptr);
    }
    if (error != 0)
        throw NetFailure(Kind::dns, "DNS lookup of '" + url.host + "' failed: " + gai_strerror(error));
    co_return Addresses(found);
}

// A TCP connection to `url`'s host and port, tried on each address in turn.
Task<std::unique_ptr<Socket>> connect_socket(const Url& url, Clock::time_point deadline) {
    const Addresses addresses = co_await resolve(url, deadline);
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
        if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            if (errno != EINPROGRESS) {
                failure = "connect to " + peer + " failed: " + errno_text(errno);
                continue;
            }
            if (!co_await socket->ready(Direction::out, 0, deadline)) {
                failure = "connect to " + peer + " timed out";
                break;  // the deadline is spent for every address
            }
        }
        int error = 0;
        socklen_t length = sizeof error;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
        if (error != 0) {
            failure = "connect to " + peer + " failed: " + errno_text(error);
            continue;
        }
        co_return socket;
    }
    throw NetFailure(Kind::connect, failure.empty() ? "no address for '" + url.host + "'" : failure);
}

// Asks `proxy` for a tunnel to `url`'s authority (RFC 9110, Section 9.3.6) over `stream`.
Task<> open_tunnel(TcpStream& stream, const Url& url, const Proxy& proxy, Clock::time_point deadline) {
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
    co_await stream.async_write_all(request, deadline);
    ResponseHeadParser parser;
    ResponseHead head;
    std::string received;
    char buffer[4096];
    while (true) {
        const std::size_t n = co_await stream.async_read_some(buffer, sizeof buffer, deadline);
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

Task<std::unique_ptr<ClientConnection>> open_connection(const Url& url, TlsContext* tls, bool verify_host,
                                                        Clock::time_point deadline, const Proxy* proxy, bool tunnel,
                                                        bool offer_h2) {
    std::unique_ptr<Socket> socket = co_await connect_socket(proxy ? proxy->url : url, deadline);
    auto connection = std::make_unique<ClientConnection>();
    if (proxy && (tls || tunnel)) {
        TcpStream through(std::move(socket));
        co_await open_tunnel(through, url, *proxy, deadline);
        socket = through.release();
    }
    if (tls) {
        auto stream = std::make_unique<TlsStream>(std::move(socket), *tls, url.host, verify_host, offer_h2);
        co_await stream->handshake(deadline);
        connection->stream = std::move(stream);
    } else {
        connection->stream = std::make_unique<TcpStream>(std::move(socket));
    }
    co_return connection;
}

}  // namespace http::detail
