#include <http/server.hpp>
#include <http/router.hpp>

#include "server/loop.hpp"
#include "server/successor.hpp"
#include "server/tls.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sched.h>
#include <pthread.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <condition_variable>
#include <iostream>
#include <list>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace http {

using namespace detail;

namespace {

// The CPUs this process may run on (taskset, cgroups' cpusets), not all the machine has: more
// event loops than that only take turns on the same CPUs.
std::size_t usable_cpus() {
    cpu_set_t set;
    if (::sched_getaffinity(0, sizeof set, &set) == 0)
        if (const int n = CPU_COUNT(&set); n > 0)
            return static_cast<std::size_t>(n);
    return std::max(1u, std::thread::hardware_concurrency());
}

// The signals server.stop_on_signals() takes.
sigset_t stopping_signals() noexcept {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR2);
    return set;
}

void block_stopping_signals() {
    const sigset_t set = stopping_signals();
    if (const int error = ::pthread_sigmask(SIG_BLOCK, &set, nullptr); error != 0)
        throw std::system_error(error, std::system_category(), "httpkit: pthread_sigmask");
}

}  // namespace

void detail::read_settings(const Server& s, ServerConfig& config) {
    config.read_timeout = s.read_timeout;
    config.write_timeout = s.write_timeout;
    config.keep_alive_timeout = s.keep_alive_timeout;
    config.head_rules = {s.max_request_target, s.max_header_size, s.max_header_fields, true};
    config.max_body_size = s.max_body_size;
    config.chunked_limits.max_body_size = s.max_body_size;
    config.chunked_limits.max_trailer_size = s.max_header_size;
    config.chunked_limits.max_trailer_fields = s.max_header_fields;
    config.max_connections = s.max_connections;
    config.min_body_rate = s.min_body_rate;
    config.max_form_fields = s.max_form_fields;
    config.stream_buffer_size = s.stream_buffer_size;
    config.websocket_max_message_size = s.websocket_max_message_size;
    config.websocket_compression = s.websocket_compression;
    config.websocket_ping_interval = s.websocket_ping_interval;
    config.trusted_proxies.clear();
    for (const std::string& entry : s.trusted_proxies) {
        const auto network = parse_network(entry);
        if (!network)
            throw std::invalid_argument("http::Server: trusted_proxies: '" + entry + "' is not an address or CIDR network");
        config.trusted_proxies.push_back(*network);
    }
    if (s.proxy_protocol && config.trusted_proxies.empty())
        throw std::invalid_argument("http::Server: proxy_protocol needs the balancers' addresses in trusted_proxies");
    config.proxy_protocol = s.proxy_protocol;
    config.compression = s.compression;
    config.http2 = s.http2;
    config.compression_min_size = s.compression_min_size;
    config.multipart_limits.max_parts = s.max_form_fields;
    config.multipart_limits.max_in_memory = s.max_upload_in_memory;
    config.multipart_limits.temp_directory = s.upload_directory;
}

class Server::Impl {
public:
    Impl(std::uint16_t port, std::string listen_host) : requested_port(port), host(std::move(listen_host)) {}
    ~Impl() {
        if (const int fd = wake_fd.load(); fd >= 0)
            ::close(fd);
    }

    void start(const Server& settings);
    void listen_tcp(bool reuse);
    void listen_unix(const std::string& path);
    void take_systemd_sockets();
    void adopt_in_every_loop(int fd);
    /// Makes `count` loops on the engine `wanted` says (see IoEngine).
    void choose_engine(IoEngine wanted, std::size_t count);
    void supervise();
    void spawn(Loop& loop, std::uint64_t generation);
    void reap(bool all);
    void close() noexcept;
    /// server.stop_on_signals()'s thread: waits for SIGINT, SIGTERM and SIGHUP until
    /// end_signal_thread().
    void take_signals();
    void end_signal_thread() noexcept;
    /// SIGUSR2: upgrade_command starts with the listening sockets; once it serves, this server
    /// closes. A failure is logged and this one goes on serving.
    void start_successor_and_close();
    void log_line(const std::string& text);
    std::vector<int> distinct_listening_sockets() const;

    std::uint16_t requested_port;
    std::string host;
    std::string unix_socket_path;  // the socket file this server made, removed when it has closed
    std::atomic<std::uint16_t> bound_port{0};
    std::atomic<IoEngine> engine{IoEngine::automatic};  // the one running, once started

    ServerConfig config{};
    std::unique_ptr<ServerTls> tls;  // outlives the loops and their connections
    std::unique_ptr<ServerShared> shared;
    std::vector<std::unique_ptr<Loop>> loops;
    std::chrono::milliseconds blocking_threshold{};  // from the settings, at start()
    std::chrono::milliseconds shutdown_timeout{};
    std::size_t max_threads = 256;

    struct Worker {
        std::thread thread;
        std::atomic<bool> done{false};
    };
    struct Assignment {
        Loop* loop;
        std::uint64_t generation;
    };
    // Threads that were replaced in a handler wait here to take a loop over again.
    std::mutex spare_mutex;
    std::condition_variable spare_wakeup;
    std::vector<Assignment> assignments;
    std::size_t parked = 0;
    bool stop_parked = false;
    std::list<Worker> workers;  // the supervisor's
    std::atomic<std::size_t> live_threads{0};
    std::thread supervisor;

    std::atomic<int> wake_fd{-1};
    std::atomic<bool> close_requested{false};
    std::atomic<bool> started{false};

    std::vector<std::string> upgrade_command;  // server.upgrade_command, read at start()
    std::vector<int> listening_fds;            // one of each listening socket, for a successor
    std::atomic<bool> handed_over{false};      // a successor serves the sockets: leave them be
    std::ostream* signal_log = nullptr;  // set by stop_on_signals()
    std::thread signal_thread;
    std::atomic<bool> signal_thread_ending{false};
};

void Server::Impl::start(const Server& s) {
    if (started.exchange(true))
        throw std::logic_error("http::Server: already started");

    read_settings(s, config);
    if (signal_log)
        block_stopping_signals();  // the server's threads inherit the mask of the one starting them
    blocking_threshold = std::max(s.blocking_threshold, std::chrono::milliseconds(2));
    shutdown_timeout = s.shutdown_timeout;
    max_threads = s.max_threads;
    if (s.tls_certificate.empty() != s.tls_private_key.empty())
        throw std::invalid_argument("http::Server: tls_certificate and tls_private_key are set together");
    if (!s.tls_certificate.empty())
        tls = std::make_unique<ServerTls>(s.tls_certificate, s.tls_private_key, s.http2);
    shared = std::make_unique<ServerShared>(config);
    shared->tls = tls.get();

    const std::size_t count = s.io_threads ? s.io_threads : usable_cpus();
    max_threads = std::max(max_threads, count);

    choose_engine(s.io_engine, count);
    if (s.socket_activation)
        take_systemd_sockets();
    else if (!s.unix_socket.empty())
        listen_unix(s.unix_socket);
    else
        listen_tcp(s.reuse_address);

    const int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0)
        throw std::system_error(errno, std::system_category(), "httpkit: eventfd");
    wake_fd = fd;
    shared->supervisor_wake_fd = fd;  // before any loop runs

    // The timeout sweep runs a few times per shortest timeout.
    const auto shortest = std::min({config.read_timeout, config.write_timeout, config.keep_alive_timeout});
    const auto tick = std::clamp(shortest / 4, std::chrono::milliseconds(10), std::chrono::milliseconds(250));
    upgrade_command = s.upgrade_command;
    listening_fds = distinct_listening_sockets();
    for (auto& loop : loops) {
        loop->start(tick);
        spawn(*loop, 1);
    }
    notify_ready();  // to systemd (Type=notify), or to the server this one succeeds
    supervisor = std::thread([this] {
        pthread_setname_np(pthread_self(), "httpkit-watch");
        supervise();
    });
    if (signal_log)
        signal_thread = std::thread([this] {
            pthread_setname_np(pthread_self(), "httpkit-signals");
            take_signals();
        });
}

void Server::Impl::close() noexcept {
    close_requested.store(true);
    signal_eventfd(wake_fd.load());
}

void Server::Impl::take_signals() {
    const sigset_t set = stopping_signals();
    int signal = 0;
    while (!signal_thread_ending.load()) {
        if (const int error = ::sigwait(&set, &signal); error != 0) {
            shared->report(std::system_error(error, std::system_category(), "httpkit: sigwait"), ClientInfo{});
            return;
        }
        if (signal_thread_ending.load())
            return;  // end_signal_thread()'s own SIGHUP, or a signal after the server closed
        if (signal == SIGINT || signal == SIGTERM) {
            close();
            continue;
        }
        try {
            if (signal == SIGUSR2) {
                start_successor_and_close();
            } else if (tls) {  // SIGHUP
                try {
                    tls->reload();
                    log_line("TLS certificate and key reloaded");
                } catch (const std::runtime_error& error) {
                    log_line(std::string(error.what()) + "; still serving the previous certificate");
                }
            }
        } catch (const std::exception& error) {
            shared->report(error, ClientInfo{});  // out of memory, say: keep taking signals
        }
    }
}

void Server::Impl::log_line(const std::string& text) {
    // One write a line, so that it stays whole among the program's own.
    *signal_log << std::string(program_invocation_short_name) + ": " + text + "\n" << std::flush;
}

void Server::Impl::start_successor_and_close() {
    if (upgrade_command.empty()) {
        log_line("SIGUSR2: no upgrade_command, nothing to start");
        return;
    }
    if (close_requested.load()) {
        log_line("SIGUSR2: closing already, no successor started");
        return;
    }
    try {
        const pid_t pid = detail::start_successor(upgrade_command, listening_fds, std::chrono::seconds(10));
        handed_over.store(true);
        close();
        log_line("the successor (pid " + std::to_string(pid) + ") serves; closing");
    } catch (const std::runtime_error& error) {  // std::system_error too
        log_line(std::string(error.what()) + "; still serving");
    }
}

std::vector<int> Server::Impl::distinct_listening_sockets() const {
    // Every loop may hold its own duplicate of one socket: each socket once (by inode).
    std::vector<int> fds;
    std::vector<std::pair<dev_t, ino_t>> seen;
    for (const auto& loop : loops)
        for (const int fd : loop->listening_fds()) {
            struct stat info {};
            if (::fstat(fd, &info) != 0)
                continue;
            const std::pair<dev_t, ino_t> id{info.st_dev, info.st_ino};
            if (std::find(seen.begin(), seen.end(), id) != seen.end())
                continue;
            seen.push_back(id);
            fds.push_back(fd);
        }
    return fds;
}

void Server::Impl::end_signal_thread() noexcept {
    if (!signal_thread.joinable())
        return;
    signal_thread_ending.store(true);
    // Directed at that thread, which has SIGHUP blocked: its sigwait() takes it.
    ::pthread_kill(signal_thread.native_handle(), SIGHUP);
    signal_thread.join();
}

void Server::Impl::choose_engine(IoEngine wanted, std::size_t count) {
    if (wanted == IoEngine::automatic) {
        if (const char* name = std::getenv("HTTPKIT_IO_ENGINE"); name && *name) {
            if (std::string_view(name) == "epoll")
                wanted = IoEngine::epoll;
            else if (std::string_view(name) == "io_uring")
                wanted = IoEngine::io_uring;
            else if (std::string_view(name) != "automatic")
                throw std::invalid_argument(std::string("http::Server: HTTPKIT_IO_ENGINE is '") + name +
                                            "', not epoll, io_uring or automatic");
        }
    }
    for (std::size_t i = 0; i < count; ++i) {
        std::unique_ptr<Ring> ring;
        if (wanted != IoEngine::epoll) {
            std::string why;
            ring = Ring::open(why);
            if (!ring && (wanted == IoEngine::io_uring || i > 0))
                throw std::system_error(ENOSYS, std::system_category(), "http::Server: io_uring: " + why);
            if (!ring)
                wanted = IoEngine::epoll;  // automatic, and the kernel refuses it: epoll
        }
        loops.push_back(std::make_unique<Loop>(config, *shared, std::move(ring)));
    }
    engine = wanted == IoEngine::epoll ? IoEngine::epoll : IoEngine::io_uring;
}

void Server::Impl::listen_tcp(bool reuse) {
    // A numeric address as it is, a name through the resolver: its first address.
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* found = nullptr;
    if (const int error = ::getaddrinfo(host.c_str(), nullptr, &hints, &found); error != 0 || !found) {
        if (found)
            ::freeaddrinfo(found);
        throw std::system_error(EADDRNOTAVAIL, std::system_category(),
                                "httpkit: cannot resolve listening host '" + host + "': " + ::gai_strerror(error));
    }
    sockaddr_storage address{};
    const auto length = static_cast<socklen_t>(std::min<std::size_t>(found->ai_addrlen, sizeof address));
    std::memcpy(&address, found->ai_addr, length);
    ::freeaddrinfo(found);
    auto set_port = [&](std::uint16_t p) {
        if (address.ss_family == AF_INET6)
            reinterpret_cast<sockaddr_in6*>(&address)->sin6_port = htons(p);
        else
            reinterpret_cast<sockaddr_in*>(&address)->sin_port = htons(p);
    };

    std::uint16_t port = requested_port;
    auto cannot_listen = [&](int error) {
        return std::system_error(error, std::system_category(), "httpkit: cannot listen on " + host + ":" + std::to_string(port));
    };
    if (loops.size() > 1) {
        // SO_REUSEPORT would let these sockets share the port with another server of the same
        // user; a plain bind first makes "address in use" an error, as it should be.
        set_port(port);
        int probe = -1;
        try {
            probe = bound_socket(address, length, reuse, false);
        } catch (const std::system_error& e) {
            throw cannot_listen(e.code().value());
        }
        port = local_port_of(probe);  // the one the kernel chose, if asked for 0
        ::close(probe);
    }
    for (auto& loop : loops) {
        set_port(port);
        try {
            loop->listen(address, length, reuse, loops.size() > 1);
        } catch (const std::system_error& e) {
            throw cannot_listen(e.code().value());
        }
        port = loop->local_port();
    }
    bound_port = port;
}

void Server::Impl::listen_unix(const std::string& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof address.sun_path)
        throw std::invalid_argument("http::Server: unix_socket '" + path + "' is empty or too long");
    path.copy(address.sun_path, path.size());
    auto fail = [&](const std::string& what, int error) {
        return std::system_error(error, std::system_category(), "httpkit: cannot listen on " + path + ": " + what);
    };
    // A socket file left by a server that is gone is replaced; one that answers, or another
    // kind of file, is not.
    struct stat info {};
    if (::lstat(path.c_str(), &info) == 0) {
        if (!S_ISSOCK(info.st_mode))
            throw fail("it exists and is not a socket", EEXIST);
        const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const bool answered = ::connect(probe, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
        const int error = errno;
        ::close(probe);
        if (answered)
            throw fail("another server is listening there", EADDRINUSE);
        if (error != ECONNREFUSED && error != ENOENT)
            throw fail("cannot tell whether it is in use", error);
        ::unlink(path.c_str());
    }
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        throw fail("socket", errno);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd, SOMAXCONN) != 0) {
        const int error = errno;
        ::close(fd);
        throw fail("bind", error);
    }
    unix_socket_path = path;  // removed when the server has closed
    adopt_in_every_loop(fd);
    ::close(fd);
}

void Server::Impl::take_systemd_sockets() {
    // sd_listen_fds(3): LISTEN_PID names this process, LISTEN_FDS counts descriptors from 3.
    const char* pid = std::getenv("LISTEN_PID");
    const char* fds = std::getenv("LISTEN_FDS");
    if (!pid || !fds || std::strtol(pid, nullptr, 10) != ::getpid())
        throw std::system_error(ENOENT, std::system_category(),
                                "httpkit: socket_activation: no sockets were passed (LISTEN_PID, LISTEN_FDS)");
    const long count = std::strtol(fds, nullptr, 10);
    if (count <= 0 || count > 64)
        throw std::system_error(EINVAL, std::system_category(), "httpkit: socket_activation: LISTEN_FDS is " + std::string(fds));
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    ::unsetenv("LISTEN_FDNAMES");
    for (int fd = 3; fd < 3 + count; ++fd) {
        int listening = 0;
        socklen_t length = sizeof listening;
        if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0 || !listening)
            throw std::system_error(ENOTSOCK, std::system_category(),
                                    "httpkit: socket_activation: descriptor " + std::to_string(fd) + " is not a listening socket");
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        adopt_in_every_loop(fd);
        ::close(fd);
    }
    bound_port = loops.front()->local_port();
}

void Server::Impl::adopt_in_every_loop(int fd) {
    // Each loop accepts on its own duplicate of the one listening socket.
    for (auto& loop : loops) {
        const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (copy < 0)
            throw std::system_error(errno, std::system_category(), "httpkit: dup");
        try {
            loop->adopt(copy);
        } catch (const std::system_error& e) {
            throw std::system_error(e.code(), "httpkit: cannot accept on a listening socket");
        }
    }
}

void Server::Impl::spawn(Loop& loop, std::uint64_t generation) {
    {
        // A parked thread, if there is one, takes the loop over: no thread to create.
        const std::lock_guard lock(spare_mutex);
        if (parked > 0) {
            --parked;
            assignments.push_back({&loop, generation});
            spare_wakeup.notify_one();
            return;
        }
    }
    live_threads.fetch_add(1, std::memory_order_relaxed);
    Worker& worker = workers.emplace_back();
    worker.thread = std::thread([this, &worker, assignment = Assignment{&loop, generation}]() mutable {
        pthread_setname_np(pthread_self(), "httpkit-io");
        // sendfile(2) has no MSG_NOSIGNAL: a client gone mid-file would raise SIGPIPE, which
        // kills a process by default. Blocked in the server's threads, it stays pending there and
        // the write fails with EPIPE instead.
        sigset_t sigpipe;
        sigemptyset(&sigpipe);
        sigaddset(&sigpipe, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &sigpipe, nullptr);
        while (true) {
            try {
                assignment.loop->run(assignment.generation);
            } catch (const std::exception& error) {
                shared->report(error, ClientInfo{});  // out of memory in the loop, say: keep serving
                continue;
            }
            // Replaced while in a handler, or the loop has finished. A replaced thread waits a
            // while to take over a loop again, so that blocking handlers need not create threads.
            if (assignment.loop->finished())
                break;
            std::unique_lock lock(spare_mutex);
            ++parked;
            const bool assigned = spare_wakeup.wait_for(lock, std::chrono::seconds(30), [this] {
                return !assignments.empty() || stop_parked;
            });
            if (!assigned || assignments.empty()) {
                --parked;
                break;
            }
            assignment = assignments.back();
            assignments.pop_back();
        }
        live_threads.fetch_sub(1, std::memory_order_relaxed);
        worker.done.store(true, std::memory_order_release);
    });
}

void Server::Impl::reap(bool all) {
    for (auto it = workers.begin(); it != workers.end();) {
        if (all || it->done.load(std::memory_order_acquire)) {
            it->thread.join();
            it = workers.erase(it);
        } else {
            ++it;
        }
    }
}

void Server::Impl::supervise() {
    const int interval = static_cast<int>(std::max<std::int64_t>(1, blocking_threshold.count() / 2));
    bool shutting_down = false;
    bool cut = false;
    Clock::time_point shutdown_started{};
    while (true) {
        // With no connection open no handler can be blocked: sleep until the first one opens
        // (the accepting loop signals wake_fd after counting it) or close() is called. Both
        // sides use seq_cst on the count, and the eventfd keeps a signal until it is read, so
        // a connection opening between this load and poll() still wakes it.
        const bool idle = !shutting_down && shared->connections.load() == 0;
        pollfd wake{wake_fd.load(), POLLIN, 0};
        if (::poll(&wake, 1, idle ? -1 : interval) > 0) {
            std::uint64_t count = 0;
            [[maybe_unused]] const auto read = ::read(wake.fd, &count, sizeof count);
        }
        if (close_requested.load() && !shutting_down) {
            shutting_down = true;
            shutdown_started = Clock::now();
            for (auto& loop : loops)
                loop->begin_shutdown();
        }
        if (shutting_down && !cut && Clock::now() - shutdown_started >= shutdown_timeout) {
            cut = true;  // in-flight requests had their time
            for (auto& loop : loops)
                loop->cut_connections();
        }
        if (shutting_down && std::all_of(loops.begin(), loops.end(), [](const auto& l) { return l->finished(); })) {
            const std::lock_guard lock(spare_mutex);
            stop_parked = true;
            spare_wakeup.notify_all();
        }
        // A loop whose owner is stuck in a handler gets a new owner (while threads remain).
        for (auto& loop : loops) {
            if (live_threads.load(std::memory_order_relaxed) >= max_threads)
                break;
            if (const std::uint64_t generation = loop->take_over_if_stalled())
                spawn(*loop, generation);
        }
        reap(false);
        if (shutting_down && live_threads.load() == 0)
            break;
    }
    reap(true);
}

Server::Server(std::uint16_t port, std::string host) : impl_(std::make_unique<Impl>(port, std::move(host))) {}

Server::~Server() {
    if (impl_->started.load()) {
        close();
        wait();
    }
}

void Server::on_connect(std::function<void(const ClientInfo&)> fn) { impl_->config.connect_hooks.push_back(std::move(fn)); }
void Server::on_disconnect(std::function<void(const ClientInfo&)> fn) {
    impl_->config.disconnect_hooks.push_back(std::move(fn));
}
void Server::on_receive(const Router& router) {
    // One copy for both: the routes' handlers, and their body sinks (Router::stream_body()).
    auto shared = std::make_shared<const Router>(router);
    impl_->config.receive_hooks.push_back([shared](Request& req, Response& res) { return shared->serve(req, res); });
    on_body([shared](Request& req) { return shared->start_body(req); });
}

void Server::on_body(std::function<BodySink(Request&)> fn) {
    impl_->config.body_hooks.push_back(std::move(fn));
}

void Server::on_receive(std::function<void(Request&, Response&)> fn) {
    if (!fn)
        throw std::invalid_argument("http::Server: an empty on_receive handler");
    impl_->config.receive_hooks.push_back([fn = std::move(fn)](Request& req, Response& res) {
        fn(req, res);
        return Task<>();
    });
}
void Server::on_receive_task(std::function<Task<>(Request&, Response&)> fn) {
    if (!fn)
        throw std::invalid_argument("http::Server: an empty on_receive handler");
    impl_->config.receive_hooks.push_back(std::move(fn));
}
void Server::on_reply(std::function<void(const Request&, const Response&)> fn) {
    impl_->config.reply_hooks.push_back(std::move(fn));
}
void Server::on_error(std::function<void(const std::exception&, const ClientInfo&)> fn) {
    impl_->config.error_hooks.push_back(std::move(fn));
}

void Server::access_log(std::ostream& out, LogFormat format) {
    impl_->config.access_log = &out;
    impl_->config.access_log_format = format;
}

std::string Server::metrics() const {
    std::vector<const LoopMetrics*> loops;
    for (const auto& loop : impl_->loops)
        loops.push_back(&loop->metrics());
    return LoopMetrics::exposition(loops, impl_->shared ? impl_->shared->connections.load() : 0);
}

void Server::start() { impl_->start(*this); }

void Server::wait() {
    if (impl_->supervisor.joinable())
        impl_->supervisor.join();
    impl_->end_signal_thread();
    if (!impl_->unix_socket_path.empty() && !impl_->handed_over.load()) {  // a successor's now
        ::unlink(impl_->unix_socket_path.c_str());
        impl_->unix_socket_path.clear();
    }
}

void Server::listen() {
    start();
    wait();
}

void Server::close() noexcept { impl_->close(); }

void Server::stop_on_signals() { stop_on_signals(std::cerr); }

void Server::stop_on_signals(std::ostream& log) {
    if (impl_->started.load())
        throw std::logic_error("http::Server: stop_on_signals() after start(): the server's threads would take "
                               "SIGINT, SIGTERM, SIGHUP and SIGUSR2 themselves");
    block_stopping_signals();
    impl_->signal_log = &log;
}

void Server::reload_tls() {
    if (!impl_->tls)
        throw std::logic_error("http::Server: reload_tls() on a server not started with TLS");
    impl_->tls->reload();
}

std::uint16_t Server::port() const noexcept { return impl_->bound_port.load(); }
IoEngine Server::io_engine_in_use() const noexcept { return impl_->engine.load(); }
const std::string& Server::host() const noexcept { return impl_->host; }

std::string_view to_string(IoEngine engine) noexcept {
    switch (engine) {
    case IoEngine::epoll:
        return "epoll";
    case IoEngine::io_uring:
        return "io_uring";
    case IoEngine::automatic:
        break;
    }
    return "automatic";
}

}  // namespace http
