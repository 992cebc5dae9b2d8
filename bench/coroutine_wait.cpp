// Many requests in flight, each a coroutine handler waiting (bench/run coroutines).
//
//   coroutine-wait [--requests N] [--wait-ms W] [--cpu C] [--backend 0|1]
//
// A child process serves GET /wait with a coroutine handler that waits W ms on one I/O thread,
// pinned to CPU C: with --backend 1, for a backend's answer (co_await client.async_get() of
// another process, an h2c server whose handler answers after W ms, on the other CPU, the calls
// as streams of its connections), else with co_await http::sleep_for. The
// parent opens N connections, then sends one request on each as fast as it can and reads the N
// answers. It reports how long the last answer took from the first request's send, the server's
// threads and resident memory with the N connections idle and with the N handlers waiting, and
// what a waiting handler costs beyond its idle connection.
#include <http/client.hpp>
#include <http/router.hpp>
#include <http/server.hpp>
#include <http/task.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// User and system CPU time of process `pid` so far, in seconds (/proc/PID/stat).
double cpu_seconds(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const std::size_t after_name = text.rfind(')');
    if (after_name == std::string::npos)
        return 0;
    std::istringstream fields(text.substr(after_name + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; fields >> field; ++i)
        if (i == 14 || i == 15)  // utime, stime
            ticks += std::atof(field.c_str());
    return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

long status_field(pid_t pid, const char* name) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.starts_with(name))
            return std::atol(line.c_str() + std::strlen(name));
    return -1;
}

[[noreturn]] void serve(std::uint16_t port, std::chrono::milliseconds wait, int cpu, std::uint16_t backend) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof set, &set);
    http::Client client;
    client.http2_prior_knowledge = true;
    const std::string backend_url = "http://127.0.0.1:" + std::to_string(backend) + "/wait";
    http::Router router;
    router.get("/wait", [wait, backend, &client, &backend_url](http::Request&, http::Response& res) -> http::Task<> {
        if (backend == 0) {
            co_await http::sleep_for(wait);
            res.body = "ok";
            co_return;
        }
        const http::Response answer = co_await client.async_get(backend_url);
        res.body = answer.body;
    });
    http::Server server(port, "127.0.0.1");
    server.io_threads = 1;
    server.max_connections = 1'000'000;
    server.keep_alive_timeout = std::chrono::minutes(5);
    server.read_timeout = std::chrono::minutes(5);
    server.on_receive(router);
    server.start();
    server.wait();
    std::_Exit(0);
}

// The backend: an h2c (and HTTP/1.1) server whose handler answers "ok" after `wait`.
[[noreturn]] void serve_backend(std::uint16_t port, std::chrono::milliseconds wait, int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof set, &set);
    http::Server server(port, "127.0.0.1");
    server.io_threads = 1;
    server.keep_alive_timeout = std::chrono::minutes(5);
    server.on_receive([wait](http::Request&, http::Response& res) -> http::Task<> {
        co_await http::sleep_for(wait);
        res.body = "ok";
    });
    server.start();
    server.wait();
    std::_Exit(0);
}

std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    return ntohs(address.sin_port);
}

int connect_to(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        return -1;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t requests = 10'000;
    long wait_ms = 1000;
    int cpu = 0;
    bool with_backend = false;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--requests") == 0)
            requests = static_cast<std::size_t>(std::atol(argv[i + 1]));
        else if (std::strcmp(argv[i], "--wait-ms") == 0)
            wait_ms = std::atol(argv[i + 1]);
        else if (std::strcmp(argv[i], "--cpu") == 0)
            cpu = std::atoi(argv[i + 1]);
        else if (std::strcmp(argv[i], "--backend") == 0)
            with_backend = std::atoi(argv[i + 1]) != 0;
    }
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);

    std::uint16_t backend_port = 0;
    pid_t backend = -1;
    if (with_backend) {
        backend_port = free_port();
        backend = fork();
        if (backend == 0)
            serve_backend(backend_port, std::chrono::milliseconds(wait_ms), cpu == 0 ? 1 : 0);
        for (int attempt = 0; attempt < 200; ++attempt) {
            if (const int fd = connect_to(backend_port); fd >= 0) {
                ::close(fd);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    const std::uint16_t port = free_port();
    const pid_t server = fork();
    if (server == 0)
        serve(port, std::chrono::milliseconds(wait_ms), cpu, backend_port);

    // The connections, made one by one (blocking connects: no backlog overflow), then idle.
    std::vector<int> fds;
    for (int attempt = 0; attempt < 200 && fds.empty(); ++attempt) {
        if (const int fd = connect_to(port); fd >= 0)
            fds.push_back(fd);
        else
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    while (fds.size() < requests) {
        const int fd = connect_to(port);
        if (fd < 0) {
            std::fprintf(stderr, "coroutine-wait: connect failed after %zu: %s\n", fds.size(), std::strerror(errno));
            kill(server, SIGTERM);
            if (backend > 0)
                kill(backend, SIGTERM);
            return 1;
        }
        fds.push_back(fd);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // all accepted
    const long threads_idle = status_field(server, "Threads:");
    const long rss_idle = status_field(server, "VmRSS:");

    const int epoll = epoll_create1(EPOLL_CLOEXEC);
    for (std::size_t i = 0; i < fds.size(); ++i) {
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.u64 = i;
        epoll_ctl(epoll, EPOLL_CTL_ADD, fds[i], &event);
    }
    const double cpu_before = cpu_seconds(server);
    static constexpr char request[] = "GET /wait HTTP/1.1\r\nHost: bench\r\n\r\n";
    const Clock::time_point began = Clock::now();
    for (const int fd : fds)
        if (::send(fd, request, sizeof request - 1, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof request - 1)) {
            std::fprintf(stderr, "coroutine-wait: a send failed\n");
            kill(server, SIGTERM);
            if (backend > 0)
                kill(backend, SIGTERM);
            return 1;
        }
    const double send_seconds = std::chrono::duration<double>(Clock::now() - began).count();

    // Halfway through the wait, every handler waits: the server's threads and memory then.
    std::this_thread::sleep_until(began + std::chrono::milliseconds(wait_ms / 2));
    const long threads_waiting = status_field(server, "Threads:");
    const long rss_waiting = status_field(server, "VmRSS:");

    std::vector<std::string> received(fds.size());
    std::size_t answered = 0;
    Clock::time_point last = began;
    std::vector<epoll_event> events(1024);
    const Clock::time_point give_up = began + std::chrono::milliseconds(wait_ms) + std::chrono::seconds(60);
    while (answered < fds.size() && Clock::now() < give_up) {
        const int n = epoll_wait(epoll, events.data(), static_cast<int>(events.size()), 1000);
        for (int e = 0; e < n; ++e) {
            const std::size_t i = events[static_cast<std::size_t>(e)].data.u64;
            char buffer[512];
            const ssize_t got = ::recv(fds[i], buffer, sizeof buffer, 0);
            if (got <= 0) {
                epoll_ctl(epoll, EPOLL_CTL_DEL, fds[i], nullptr);
                continue;
            }
            received[i].append(buffer, static_cast<std::size_t>(got));
            if (received[i].ends_with("\r\n\r\nok")) {
                ++answered;
                last = Clock::now();
                epoll_ctl(epoll, EPOLL_CTL_DEL, fds[i], nullptr);
            }
        }
    }
    const double seconds = std::chrono::duration<double>(last - began).count();
    const double cpu_used = cpu_seconds(server) - cpu_before;
    kill(server, SIGTERM);
    waitpid(server, nullptr, 0);
    if (backend > 0) {
        kill(backend, SIGTERM);
        waitpid(backend, nullptr, 0);
    }
    for (const int fd : fds)
        ::close(fd);

    std::printf("requests           %zu, each a coroutine handler waiting %ld ms (%s), 1 I/O thread\n", requests,
                wait_ms, with_backend ? "a backend's answer, over h2c" : "sleep_for");
    std::printf("answered           %zu\n", answered);
    std::printf("sent in            %.3f s\n", send_seconds);
    std::printf("last answer after  %.3f s (from the first send)\n", seconds);
    std::printf("server CPU time    %.3f s, %.1f us a request\n", cpu_used,
                cpu_used * 1e6 / static_cast<double>(requests));
    std::printf("server threads     %ld idle, %ld with the handlers waiting\n", threads_idle, threads_waiting);
    std::printf("server RSS         %ld KiB idle, %ld KiB with the handlers waiting\n", rss_idle, rss_waiting);
    std::printf("per waiting handler %.0f bytes beyond its idle connection\n",
                static_cast<double>(rss_waiting - rss_idle) * 1024.0 / static_cast<double>(requests));
    return answered == requests ? 0 : 1;
}
