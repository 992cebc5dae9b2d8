// What an HTTP/2 client sends after the connection preface, to a running server over loopback
// (h2c): frames of any shape reach nghttp2 and this server's callbacks, budgets, handlers and
// streams. Whatever they are, the server must end the connection once the client has closed its
// side, with no crash and no sanitizer report, and go on accepting.

#include <http/server.hpp>
#include <http/stream.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

http::Server& server() {
    static http::Server* const running = [] {
        auto* s = new http::Server(0, "127.0.0.1");  // lives for the process: reachable, not leaked
        s->io_threads = 1;
        s->read_timeout = s->write_timeout = s->keep_alive_timeout = std::chrono::milliseconds(500);
        s->max_body_size = 64 * 1024;
        s->on_receive([](http::Request& req, http::Response& res) {
            if (req.path == "/stream") {
                http::BodyStream out = res.stream();
                out.write(std::string(20000, 's'));
                out.close();
                return;
            }
            res.body = req.method + " " + req.path + " " + std::to_string(req.body.size());
        });
        s->on_error([](const std::exception&, const http::ClientInfo&) {});  // budgets report here
        s->start();
        return s;
    }();
    return *running;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string preface = std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") +
                                       std::string("\x00\x00\x00\x04\x00\x00\x00\x00\x00", 9);  // empty SETTINGS
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(server().port());
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int connected = fd < 0 ? -1 : ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    if (connected != 0 && errno == EINTR) {
        // libFuzzer's timer interrupted it: the connection goes on being made; wait for it.
        pollfd wait{fd, POLLOUT, 0};
        int error = 0;
        socklen_t length = sizeof error;
        while (::poll(&wait, 1, 10000) < 0 && errno == EINTR) {
        }
        connected = ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0 ? 0 : -1;
    }
    if (connected != 0) {
        std::perror("fuzz_http2: cannot connect to the server");
        std::abort();
    }
    const timeval limit{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    std::string out = preface;
    out.append(reinterpret_cast<const char*>(data), size);
    for (std::size_t sent = 0; sent < out.size();) {
        const ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;  // the server ended the connection early: fine
        sent += static_cast<std::size_t>(n);
    }
    ::shutdown(fd, SHUT_WR);
    char buffer[65536];
    while (true) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            break;  // closed (or reset): what must happen
        if (n < 0 && errno != EINTR)
            std::abort();  // 10 s and the server has not closed a connection its client ended
    }
    // A reset, not a FIN: the server's side then keeps no TIME_WAIT, which would use up the
    // ephemeral ports in a long run (one connection an input).
    const linger reset{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    ::close(fd);
    return 0;
}
