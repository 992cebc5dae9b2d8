// The floor of each I/O engine: the least a server on one thread can do per request, with no HTTP
// beyond counting heads (each ends at an empty line) and answering each with the same fixed
// response. `bench/run engines` runs it beside httpkit-echo and nginx, so that what an engine
// could still gain for httpkit is measured, not guessed.
//
//   engine-floor epoll PORT     edge-triggered epoll, reading only after an edge or a full read
//                               (httpkit's own loop, lib/src/server/reactor.hpp, works this way)
//   engine-floor uring PORT     io_uring: multishot accept, multishot receive into a provided
//                               buffer ring, sends queued and submitted with the wait, one
//                               io_uring_enter per turn
#include <liburing.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::string_view response =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";
constexpr int max_batch = 256;  // responses sent at once; a deeper pipeline goes in more sends

// max_batch copies of the response: n responses are its first n * response.size() bytes.
const std::string responses = [] {
    std::string all;
    for (int i = 0; i < max_batch; ++i)
        all += response;
    return all;
}();

/// Counts the heads that end in `data`, carrying a partial "\r\n\r\n" across calls in `matched`.
int count_heads(const char* data, std::size_t size, int& matched) {
    static constexpr char end[] = "\r\n\r\n";
    int heads = 0;
    for (std::size_t i = 0; i < size; ++i) {
        if (data[i] == end[matched]) {
            if (++matched == 4) {
                ++heads;
                matched = 0;
            }
        } else {
            matched = data[i] == '\r' ? 1 : 0;
        }
    }
    return heads;
}

int listen_on(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(fd, SOMAXCONN) != 0) {
        std::perror("listen");
        std::exit(1);
    }
    return fd;
}

// --- epoll ------------------------------------------------------------------------------------

struct EpollConnection {
    int fd;
    bool readable = false;
    int matched = 0;
};

void serve_epoll(int listener) {
    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.ptr = nullptr;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, listener, &event);
    epoll_event events[128];
    char buffer[16384];
    while (true) {
        const int n = ::epoll_wait(ep, events, 128, -1);
        for (int i = 0; i < n; ++i) {
            if (events[i].data.ptr == nullptr) {
                while (true) {
                    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (fd < 0)
                        break;
                    const int on = 1;
                    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
                    epoll_event e{};
                    e.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
                    e.data.ptr = new EpollConnection{fd};
                    ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
                }
                continue;
            }
            auto* c = static_cast<EpollConnection*>(events[i].data.ptr);
            if (!(events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
                continue;
            c->readable = true;
            while (c->readable) {
                const ssize_t got = ::recv(c->fd, buffer, sizeof buffer, 0);
                if (got <= 0) {
                    if (got < 0 && errno == EAGAIN)
                        break;
                    ::close(c->fd);
                    delete c;
                    break;
                }
                c->readable = static_cast<std::size_t>(got) == sizeof buffer;
                for (int heads = count_heads(buffer, static_cast<std::size_t>(got), c->matched); heads > 0;) {
                    const int batch = heads < max_batch ? heads : max_batch;
                    ::send(c->fd, responses.data(), static_cast<std::size_t>(batch) * response.size(), MSG_NOSIGNAL);
                    heads -= batch;
                }
            }
        }
    }
}

// --- io_uring ---------------------------------------------------------------------------------

constexpr unsigned buffer_count = 4096;  // a power of two
constexpr unsigned buffer_size = 2048;
constexpr unsigned short group = 1;

enum Kind : std::uint64_t { accept_kind = 1, receive_kind = 2, send_kind = 3 };

std::uint64_t tag(Kind kind, int fd) { return (static_cast<std::uint64_t>(fd) << 8) | kind; }

struct Uring {
    io_uring ring{};
    io_uring_buf_ring* buffers = nullptr;
    char* memory = nullptr;
    std::vector<int> matched;  // per descriptor

    io_uring_sqe* sqe() {
        io_uring_sqe* s = io_uring_get_sqe(&ring);
        if (!s) {
            io_uring_submit(&ring);
            s = io_uring_get_sqe(&ring);
        }
        return s;
    }
    void receive(int fd) {
        io_uring_sqe* s = sqe();
        io_uring_prep_recv_multishot(s, fd, nullptr, 0, 0);
        s->flags |= IOSQE_BUFFER_SELECT;
        s->buf_group = group;
        io_uring_sqe_set_data64(s, tag(receive_kind, fd));
    }
    void give_back(unsigned id) {
        io_uring_buf_ring_add(buffers, memory + static_cast<std::size_t>(id) * buffer_size, buffer_size,
                              static_cast<unsigned short>(id), io_uring_buf_ring_mask(buffer_count), 0);
        io_uring_buf_ring_advance(buffers, 1);
    }
};

void serve_uring(int listener) {
    Uring u;
    io_uring_params params{};
    params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    if (int e = io_uring_queue_init_params(4096, &u.ring, &params); e < 0) {
        params.flags = 0;  // an older kernel
        if ((e = io_uring_queue_init_params(4096, &u.ring, &params)) < 0) {
            std::fprintf(stderr, "io_uring_queue_init: %s\n", std::strerror(-e));
            std::exit(1);
        }
    }
    const std::size_t ring_bytes = buffer_count * sizeof(io_uring_buf);
    u.buffers = static_cast<io_uring_buf_ring*>(
        ::mmap(nullptr, ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0));
    u.memory = static_cast<char*>(std::malloc(static_cast<std::size_t>(buffer_count) * buffer_size));
    io_uring_buf_ring_init(u.buffers);
    io_uring_buf_reg registration{};
    registration.ring_addr = reinterpret_cast<std::uint64_t>(u.buffers);
    registration.ring_entries = buffer_count;
    registration.bgid = group;
    if (const int e = io_uring_register_buf_ring(&u.ring, &registration, 0); e < 0) {
        std::fprintf(stderr, "io_uring_register_buf_ring: %s\n", std::strerror(-e));
        std::exit(1);
    }
    for (unsigned id = 0; id < buffer_count; ++id)
        io_uring_buf_ring_add(u.buffers, u.memory + static_cast<std::size_t>(id) * buffer_size, buffer_size,
                              static_cast<unsigned short>(id), io_uring_buf_ring_mask(buffer_count), static_cast<int>(id));
    io_uring_buf_ring_advance(u.buffers, buffer_count);

    io_uring_sqe* s = u.sqe();
    io_uring_prep_multishot_accept(s, listener, nullptr, nullptr, SOCK_CLOEXEC);
    io_uring_sqe_set_data64(s, tag(accept_kind, listener));
    while (true) {
        io_uring_submit_and_wait(&u.ring, 1);
        io_uring_cqe* cqe;
        unsigned head;
        unsigned seen = 0;
        io_uring_for_each_cqe(&u.ring, head, cqe) {
            ++seen;
            const std::uint64_t data = io_uring_cqe_get_data64(cqe);
            const int fd = static_cast<int>(data >> 8);
            switch (static_cast<Kind>(data & 0xff)) {
            case accept_kind:
                if (cqe->res >= 0) {
                    const int on = 1;
                    ::setsockopt(cqe->res, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
                    if (u.matched.size() <= static_cast<std::size_t>(cqe->res))
                        u.matched.resize(static_cast<std::size_t>(cqe->res) + 1);
                    u.matched[static_cast<std::size_t>(cqe->res)] = 0;
                    u.receive(cqe->res);
                }
                if (!(cqe->flags & IORING_CQE_F_MORE)) {
                    s = u.sqe();
                    io_uring_prep_multishot_accept(s, listener, nullptr, nullptr, SOCK_CLOEXEC);
                    io_uring_sqe_set_data64(s, tag(accept_kind, listener));
                }
                break;
            case receive_kind: {
                if (cqe->res <= 0) {
                    if (cqe->res == -ENOBUFS)
                        u.receive(fd);  // out of buffers for a moment: ask again
                    else if (!(cqe->flags & IORING_CQE_F_MORE))
                        ::close(fd);
                    break;
                }
                const unsigned id = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
                int heads = count_heads(u.memory + static_cast<std::size_t>(id) * buffer_size,
                                        static_cast<std::size_t>(cqe->res), u.matched[static_cast<std::size_t>(fd)]);
                u.give_back(id);
                while (heads > 0) {
                    const int batch = heads < max_batch ? heads : max_batch;
                    s = u.sqe();
                    io_uring_prep_send(s, fd, responses.data(), static_cast<std::size_t>(batch) * response.size(), MSG_NOSIGNAL);
                    io_uring_sqe_set_data64(s, tag(send_kind, fd));
                    s->flags |= IOSQE_CQE_SKIP_SUCCESS;
                    heads -= batch;
                }
                if (!(cqe->flags & IORING_CQE_F_MORE))
                    u.receive(fd);
                break;
            }
            case send_kind:
                break;  // failed (successes post nothing): the receive sees the end
            }
        }
        io_uring_cq_advance(&u.ring, seen);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3 || (std::string_view(argv[1]) != "epoll" && std::string_view(argv[1]) != "uring")) {
        std::fprintf(stderr, "usage: engine-floor epoll|uring PORT\n");
        return 2;
    }
    const int listener = listen_on(std::atoi(argv[2]));
    if (std::string_view(argv[1]) == "epoll")
        serve_epoll(listener);
    else
        serve_uring(listener);
}
