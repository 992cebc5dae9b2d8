#include <http/server.hpp>

#include "server/loop.hpp"

#include <boost/asio/ip/address.hpp>

#include <poll.h>
#include <signal.h>
#include <sched.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
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

}  // namespace

class Server::Impl {
public:
    Impl(std::uint16_t port, std::string listen_host) : requested_port(port), host(std::move(listen_host)) {}
    ~Impl() {
        if (const int fd = wake_fd.load(); fd >= 0)
            ::close(fd);
    }

    void start(const Server& settings);
    void supervise();
    void spawn(Loop& loop, std::uint64_t generation);
    void reap(bool all);

    std::uint16_t requested_port;
    std::string host;
    std::atomic<std::uint16_t> bound_port{0};

    ServerConfig config{};
    std::unique_ptr<ServerShared> shared;
    std::vector<std::unique_ptr<Loop>> loops;
    std::chrono::milliseconds blocking_threshold{};  // from the settings, at start()
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
};

void Server::Impl::start(const Server& s) {
    if (started.exchange(true))
        throw std::logic_error("http::Server: already started");

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
    config.trusted_proxies.clear();
    for (const std::string& entry : s.trusted_proxies) {
        const auto network = parse_network(entry);
        if (!network)
            throw std::invalid_argument("http::Server: trusted_proxies: '" + entry + "' is not an address or CIDR network");
        config.trusted_proxies.push_back(*network);
    }
    config.compression = s.compression;
    config.compression_min_size = s.compression_min_size;
    config.multipart_limits.max_parts = s.max_form_fields;
    config.multipart_limits.max_in_memory = s.max_upload_in_memory;
    config.multipart_limits.temp_directory = s.upload_directory;
    blocking_threshold = std::max(s.blocking_threshold, std::chrono::milliseconds(2));
    max_threads = s.max_threads;
    shared = std::make_unique<ServerShared>(config);

    const std::size_t count = s.io_threads ? s.io_threads : usable_cpus();
    max_threads = std::max(max_threads, count);

    boost::system::error_code error;
    asio::ip::address address = asio::ip::make_address(host, error);
    if (error) {
        asio::io_context resolver_context;
        tcp::resolver resolver(resolver_context);
        const auto results = resolver.resolve(host, "", error);
        if (error || results.empty())
            throw std::system_error(error, "httpkit: cannot resolve listening host '" + host + "'");
        address = results.begin()->endpoint().address();
    }

    std::uint16_t port = requested_port;
    auto cannot_listen = [&](const boost::system::error_code& code) {
        return std::system_error(code, "httpkit: cannot listen on " + host + ":" + std::to_string(port));
    };
    if (count > 1) {
        // SO_REUSEPORT would let these sockets share the port with another server of the same
        // user; a plain bind first makes "address in use" an error, as it should be.
        asio::io_context probe_context;
        tcp::acceptor probe(probe_context);
        probe.open(address.is_v6() ? tcp::v6() : tcp::v4(), error);
        if (!error)
            probe.set_option(tcp::acceptor::reuse_address(s.reuse_address), error);
        if (!error)
            probe.bind(tcp::endpoint(address, port), error);
        if (error)
            throw cannot_listen(error);
        port = probe.local_endpoint().port();
    }
    for (std::size_t i = 0; i < count; ++i) {
        loops.push_back(std::make_unique<Loop>(config, *shared));
        try {
            loops.back()->listen(tcp::endpoint(address, port), s.reuse_address, count > 1);
        } catch (const boost::system::system_error& e) {
            throw cannot_listen(e.code());
        }
        port = loops.back()->local_port();
    }
    bound_port = port;

    const int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0)
        throw std::system_error(errno, std::system_category(), "httpkit: eventfd");
    wake_fd = fd;
    shared->supervisor_wake_fd = fd;  // before any loop runs

    // The timeout sweep runs a few times per shortest timeout.
    const auto shortest = std::min({config.read_timeout, config.write_timeout, config.keep_alive_timeout});
    const auto tick = std::clamp(shortest / 4, std::chrono::milliseconds(10), std::chrono::milliseconds(250));
    for (auto& loop : loops) {
        loop->start(tick);
        spawn(*loop, 1);
    }
    supervisor = std::thread([this] {
        pthread_setname_np(pthread_self(), "httpkit-watch");
        supervise();
    });
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
            for (auto& loop : loops)
                loop->begin_shutdown();
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
void Server::on_receive(std::function<void(Request&, Response&)> fn) {
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

void Server::start() { impl_->start(*this); }

void Server::wait() {
    if (impl_->supervisor.joinable())
        impl_->supervisor.join();
}

void Server::listen() {
    start();
    wait();
}

void Server::close() noexcept {
    impl_->close_requested.store(true);
    signal_eventfd(impl_->wake_fd.load());
}

std::uint16_t Server::port() const noexcept { return impl_->bound_port.load(); }
const std::string& Server::host() const noexcept { return impl_->host; }

}  // namespace http
