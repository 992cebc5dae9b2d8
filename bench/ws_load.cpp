// ws-load: the WebSocket client of `bench/run websocket`. One thread, edge-triggered epoll,
// non-blocking sockets; RFC 6455 frames masked as a client must, each with its own key. It speaks
// only as much of the protocol as a load needs: the opening handshake (optionally offering
// permessage-deflate), data messages counted as their frames arrive (their payload is skipped,
// not kept: a compressed answer counts as well as a plain one), pings answered with pongs.
// Every wait has a deadline: a server that stops answering ends the run with an error.
//
//   ws-load echo PORT PATH [--connections N] [--in-flight K] [--size B] [--warmup S] [--seconds S]
//                          [--server-pid PID]
//       N connections each keep K text messages of B bytes in flight (an answer is followed by the
//       next message); after the warm-up, messages/s over S seconds and, given the server's pid,
//       the server's CPU time (user + system, /proc) per message.
//   ws-load big PORT PATH [--bytes B] [--rounds R]
//       one binary message of B bytes sent and echoed, R times on one connection: the upload from
//       the first byte sent to the first byte of the answer, the download from there to its last.
//   ws-load idle PORT PATH [--connections N] [--deflate]
//       N connections, each echoes one message, then idle: prints "open ...", then on each "check"
//       line of standard input a sample of 100 sends a message again; ends at end of input.
//   ws-load broadcast PORT PATH [--connections N] [--rounds R]
//       N connections; R times, one of them sends a message that the server sends to all: the
//       time until the first and the last connection have it.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& message) {
    std::fprintf(stderr, "ws-load: %s\n", message.c_str());
    std::exit(1);
}

double seconds_between(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// A mask key per frame (RFC 6455, Section 5.3): xorshift64*, enough for a load.
std::uint64_t random_state = 0x9e3779b97f4a7c15ULL;
std::uint32_t next_mask() {
    random_state ^= random_state >> 12;
    random_state ^= random_state << 25;
    random_state ^= random_state >> 27;
    return static_cast<std::uint32_t>((random_state * 0x2545f4914f6cdd1dULL) >> 32);
}

enum Opcode : unsigned char { continuation = 0x0, text = 0x1, binary = 0x2, close_frame = 0x8, ping = 0x9, pong = 0xa };

// Appends a masked frame carrying `payload` to `out`.
void append_frame(std::string& out, Opcode opcode, std::string_view payload) {
    unsigned char header[14];
    std::size_t size = 2;
    header[0] = static_cast<unsigned char>(0x80 | opcode);
    const std::uint64_t length = payload.size();
    if (length < 126) {
        header[1] = static_cast<unsigned char>(0x80 | length);
    } else if (length <= 0xffff) {
        header[1] = 0x80 | 126;
        header[2] = static_cast<unsigned char>(length >> 8);
        header[3] = static_cast<unsigned char>(length);
        size = 4;
    } else {
        header[1] = 0x80 | 127;
        for (int i = 0; i < 8; ++i)
            header[2 + i] = static_cast<unsigned char>(length >> (56 - 8 * i));
        size = 10;
    }
    const std::uint32_t mask = next_mask();
    std::memcpy(header + size, &mask, 4);
    unsigned char key[4];
    std::memcpy(key, &mask, 4);
    size += 4;
    out.append(reinterpret_cast<const char*>(header), size);
    const std::size_t at = out.size();
    out.append(payload);
    char* data = out.data() + at;
    std::uint64_t wide = std::uint64_t{mask} | std::uint64_t{mask} << 32;
    std::size_t i = 0;
    for (; i + 8 <= length; i += 8) {
        std::uint64_t word;
        std::memcpy(&word, data + i, 8);
        word ^= wide;
        std::memcpy(data + i, &word, 8);
    }
    for (; i < length; ++i)
        data[i] = static_cast<char>(static_cast<unsigned char>(data[i]) ^ key[i % 4]);
}

struct Connection {
    int fd = -1;
    enum class State : std::uint8_t { handshake, open, closed } state = State::handshake;
    std::string out;  // bytes not yet written
    std::size_t out_at = 0;
    std::string head;  // the handshake's answer, until its blank line
    bool deflate = false;
    // The frame being read.
    unsigned char header[14] = {};
    std::size_t header_have = 0;
    bool in_payload = false;
    std::uint64_t payload_left = 0;
    unsigned char opcode = 0;
    bool fin = false;
    bool in_message = false;
    std::uint64_t message_size = 0;
    std::string control;  // a ping's payload, to answer with
    // Counts.
    std::uint64_t messages = 0;
    std::uint64_t wrong_size = 0;
    Clock::time_point last_message{};
};

class Load {
public:
    Load(int port, std::string path, bool deflate) : port_(port), path_(std::move(path)), deflate_(deflate) {
        epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
        if (epoll_ < 0)
            die("epoll_create1 failed");
    }
    ~Load() {
        for (auto& c : connections_)
            if (c->fd >= 0) {
                // A reset, not a FIN: no TIME_WAIT left behind for the next case's ports.
                const linger reset{1, 0};
                ::setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
                ::close(c->fd);
            }
        ::close(epoll_);
    }
    Load(const Load&) = delete;
    Load& operator=(const Load&) = delete;

    /// Called for each whole data message.
    std::function<void(Connection&)> on_message;
    /// Called at the first frame of each data message.
    std::function<void(Connection&)> on_message_start;
    std::uint64_t expected_size = 0;  // when not 0, messages of another size are counted as wrong

    std::vector<std::unique_ptr<Connection>>& connections() { return connections_; }

    /// Opens `count` WebSockets, at most `parallel` handshakes at a time, within `timeout`.
    void open(std::size_t count, std::size_t parallel, double timeout) {
        const auto deadline = Clock::now() + std::chrono::duration<double>(timeout);
        std::size_t started = connections_.size();
        const std::size_t wanted = connections_.size() + count;
        while (opened_ < wanted) {
            while (started < wanted && started - opened_ < parallel) {
                start_connection();
                ++started;
            }
            if (Clock::now() > deadline)
                die("opened " + std::to_string(opened_) + " of " + std::to_string(wanted) + " WebSockets in time");
            poll(10);
        }
    }

    void send(Connection& c, Opcode opcode, std::string_view payload) {
        append_frame(c.out, opcode, payload);
        flush(c);
    }

    /// Appends a frame that goes out when the connection's reads are done (one write for all the
    /// answers one read brought).
    void queue(Connection& c, Opcode opcode, std::string_view payload) { append_frame(c.out, opcode, payload); }

    /// Sends frames already masked (taken over, not copied, when nothing else waits).
    void send_raw(Connection& c, std::string frames) {
        if (c.out.empty())
            c.out = std::move(frames);
        else
            c.out.append(frames);
        flush(c);
    }

    /// Runs the loop until `done` or `timeout` seconds pass; false on the timeout.
    bool run_until(const std::function<bool()>& done, double timeout) {
        const auto deadline = Clock::now() + std::chrono::duration<double>(timeout);
        while (!done()) {
            if (Clock::now() > deadline)
                return false;
            poll(10);
        }
        return true;
    }

    /// Also watches `fd` (standard input) for reading: `on_ready` runs when it is.
    void watch(int fd, std::function<void()> on_ready) {
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.ptr = nullptr;
        if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event) != 0)
            die("cannot watch standard input");
        on_input_ = std::move(on_ready);
    }

    std::size_t deflate_agreed() const {
        return static_cast<std::size_t>(std::count_if(connections_.begin(), connections_.end(),
                                                      [](const auto& c) { return c->deflate; }));
    }

    void poll(int timeout_ms) {
        epoll_event events[256];
        const int n = ::epoll_wait(epoll_, events, 256, timeout_ms);
        for (int i = 0; i < n; ++i) {
            if (!events[i].data.ptr) {
                if (on_input_)
                    on_input_();
                continue;
            }
            auto& c = *static_cast<Connection*>(events[i].data.ptr);
            if (c.state == Connection::State::closed)
                continue;
            if (events[i].events & (EPOLLERR | EPOLLHUP))
                fail(c, "the connection failed");
            if (events[i].events & EPOLLOUT)
                flush(c);
            if (events[i].events & EPOLLIN)
                receive(c);
        }
    }

private:
    void start_connection() {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            die(std::string("socket: ") + std::strerror(errno));
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<std::uint16_t>(port_));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 && errno != EINPROGRESS)
            die(std::string("connect: ") + std::strerror(errno));
        auto c = std::make_unique<Connection>();
        c->fd = fd;
        c->out = "GET " + path_ + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) +
                 "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 "Sec-WebSocket-Version: 13\r\n";
        if (deflate_)
            c->out += "Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover; "
                      "server_no_context_takeover\r\n";
        c->out += "\r\n";
        epoll_event event{};
        event.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP;
        event.data.ptr = c.get();
        if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event) != 0)
            die("epoll_ctl failed");
        connections_.push_back(std::move(c));
    }

    [[noreturn]] void fail(Connection&, const std::string& why) { die(why + " (" + std::to_string(opened_) + " open)"); }

    void flush(Connection& c) {
        while (c.out_at < c.out.size()) {
            const ssize_t n = ::send(c.fd, c.out.data() + c.out_at, c.out.size() - c.out_at, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == ENOTCONN)
                    return;  // EPOLLOUT comes (ENOTCONN: still connecting)
                fail(c, std::string("send: ") + std::strerror(errno));
            }
            c.out_at += static_cast<std::size_t>(n);
        }
        c.out.clear();
        c.out_at = 0;
    }

    void receive(Connection& c) {
        while (true) {
            const ssize_t n = ::recv(c.fd, buffer_, sizeof buffer_, 0);
            if (n == 0)
                fail(c, "the server closed a connection");
            if (n < 0) {
                if (errno != EAGAIN)
                    fail(c, std::string("recv: ") + std::strerror(errno));
                if (c.out_at < c.out.size())
                    flush(c);
                return;
            }
            std::string_view data(buffer_, static_cast<std::size_t>(n));
            if (c.state == Connection::State::handshake) {
                c.head.append(data);
                const std::size_t end = c.head.find("\r\n\r\n");
                if (end == std::string::npos) {
                    if (c.head.size() > 16384)
                        fail(c, "no end to the handshake's answer");
                    continue;
                }
                if (!c.head.starts_with("HTTP/1.1 101"))
                    fail(c, "the handshake was refused: " + c.head.substr(0, c.head.find('\r')));
                std::string lower = c.head.substr(0, end);
                std::transform(lower.begin(), lower.end(), lower.begin(),
                               [](char ch) { return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch + 32) : ch; });
                c.deflate = lower.find("permessage-deflate") != std::string::npos;
                const std::string rest = c.head.substr(end + 4);
                c.head.clear();
                c.head.shrink_to_fit();
                c.state = Connection::State::open;
                ++opened_;
                frames(c, rest);
                continue;
            }
            frames(c, data);
        }
    }

    // Reads frames from `data`; payloads are skipped except a ping's.
    void frames(Connection& c, std::string_view data) {
        while (!data.empty()) {
            if (!c.in_payload) {
                // A header: 2 bytes, then the extended length they announce (a server's frames
                // carry no mask key).
                std::size_t wanted = 2;
                if (c.header_have >= 2)
                    wanted += (c.header[1] & 0x7f) == 126 ? 2 : (c.header[1] & 0x7f) == 127 ? 8 : 0;
                const std::size_t take = std::min(wanted - c.header_have, data.size());
                std::memcpy(c.header + c.header_have, data.data(), take);
                c.header_have += take;
                data.remove_prefix(take);
                if (c.header_have < wanted)
                    return;
                const unsigned length7 = c.header[1] & 0x7f;
                if (wanted == 2 && length7 >= 126)
                    continue;  // the extended length is wanted now
                std::uint64_t length = length7;
                if (length7 == 126) {
                    length = std::uint64_t{c.header[2]} << 8 | c.header[3];
                } else if (length7 == 127) {
                    length = 0;
                    for (int i = 2; i < 10; ++i)
                        length = length << 8 | c.header[i];
                }
                c.header_have = 0;
                start_frame(c, length);
                if (length == 0) {
                    end_frame(c);
                    continue;
                }
                c.in_payload = true;
                c.payload_left = length;
                continue;
            }
            const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(c.payload_left, data.size()));
            if (c.opcode >= 0x8)
                c.control.append(data.substr(0, take));
            data.remove_prefix(take);
            c.payload_left -= take;
            if (c.payload_left == 0) {
                c.in_payload = false;
                end_frame(c);
            }
        }
    }

    void start_frame(Connection& c, std::uint64_t length) {
        c.fin = c.header[0] & 0x80;
        c.opcode = c.header[0] & 0x0f;
        c.control.clear();
        if (c.opcode == text || c.opcode == binary) {
            c.in_message = true;
            c.message_size = 0;
            if (on_message_start)
                on_message_start(c);
        }
        if (c.opcode < 0x8)
            c.message_size += length;
    }

    void end_frame(Connection& c) {
        if (c.opcode == ping) {
            queue(c, pong, c.control);
            return;
        }
        if (c.opcode == close_frame)
            fail(c, "the server closed a WebSocket");
        if (c.opcode >= 0x8 || !c.fin)
            return;
        c.in_message = false;
        ++c.messages;
        c.last_message = Clock::now();
        if (expected_size && !c.deflate && c.message_size != expected_size)
            ++c.wrong_size;
        if (on_message)
            on_message(c);
    }

    int port_;
    std::string path_;
    bool deflate_;
    int epoll_ = -1;
    std::vector<std::unique_ptr<Connection>> connections_;
    std::size_t opened_ = 0;
    std::function<void()> on_input_;
    char buffer_[256 * 1024];
};

struct Options {
    int port = 0;
    std::string path;
    std::size_t connections = 64;
    std::size_t in_flight = 16;
    std::size_t size = 32;
    double warmup = 1;
    double seconds = 5;
    long server_pid = 0;
    std::uint64_t bytes = 16 << 20;
    int rounds = 5;
    bool deflate = false;
};

/// User + system CPU time of a process, all its threads, in seconds.
double cpu_seconds(long pid) {
    std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    const std::size_t paren = stat.rfind(')');
    if (paren == std::string::npos)
        die("cannot read /proc/" + std::to_string(pid) + "/stat");
    std::istringstream fields(stat.substr(paren + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; fields >> field; ++i)  // the state is field 3; utime 14, stime 15
        if (i == 14 || i == 15)
            ticks += std::stod(field);
    return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values.empty() ? 0 : values[values.size() / 2];
}

int echo(const Options& options) {
    Load load(options.port, options.path, false);
    const std::string payload(options.size, 'w');
    load.expected_size = options.size;
    load.on_message = [&](Connection& c) { load.queue(c, text, payload); };
    load.open(options.connections, 256, 30);
    for (auto& c : load.connections())
        for (std::size_t i = 0; i < options.in_flight; ++i)
            append_frame(c->out, text, payload);
    for (auto& c : load.connections())
        load.send_raw(*c, std::string());
    const auto total = [&] {
        std::uint64_t n = 0;
        for (auto& c : load.connections())
            n += c->messages;
        return n;
    };
    load.run_until([] { return false; }, options.warmup);
    const std::uint64_t before = total();
    const double cpu_before = options.server_pid ? cpu_seconds(options.server_pid) : 0;
    const auto started = Clock::now();
    load.run_until([] { return false; }, options.seconds);
    const std::uint64_t messages = total() - before;
    const double elapsed = seconds_between(started, Clock::now());
    const double cpu = options.server_pid ? cpu_seconds(options.server_pid) - cpu_before : 0;
    std::uint64_t wrong = 0;
    for (auto& c : load.connections())
        wrong += c->wrong_size;
    std::printf("messages=%llu seconds=%.3f messages_per_second=%.0f server_cpu_us_per_message=%.4f wrong_size=%llu\n",
                static_cast<unsigned long long>(messages), elapsed, static_cast<double>(messages) / elapsed,
                messages ? cpu * 1e6 / static_cast<double>(messages) : 0.0, static_cast<unsigned long long>(wrong));
    return wrong == 0 && messages > 0 ? 0 : 1;
}

int big(const Options& options) {
    Load load(options.port, options.path, false);
    load.expected_size = options.bytes;
    load.open(1, 1, 10);
    Connection& c = *load.connections().front();
    const std::string payload(options.bytes, 'b');
    std::vector<double> up, down;
    for (int round = 0; round < options.rounds; ++round) {
        std::string frame;
        append_frame(frame, binary, payload);
        Clock::time_point first{};
        bool started = false;
        load.on_message_start = [&](Connection&) {
            first = Clock::now();
            started = true;
        };
        const std::uint64_t before = c.messages;
        const auto sent_at = Clock::now();
        load.send_raw(c, std::move(frame));
        if (!load.run_until([&] { return c.messages > before; }, 60))
            die("no echo of a " + std::to_string(options.bytes) + "-byte message within 60 s");
        if (!started || c.wrong_size)
            die("the echo was not " + std::to_string(options.bytes) + " bytes");
        const double upload = seconds_between(sent_at, first), download = seconds_between(first, c.last_message);
        up.push_back(static_cast<double>(options.bytes) / upload / 1e9);
        down.push_back(static_cast<double>(options.bytes) / download / 1e9);
        std::fprintf(stderr, "round %d: up %.3f ms, down %.3f ms\n", round + 1, upload * 1e3, download * 1e3);
    }
    std::printf("bytes=%llu rounds=%d upload_gb_per_s=%.3f download_gb_per_s=%.3f\n",
                static_cast<unsigned long long>(options.bytes), options.rounds, median(up), median(down));
    return 0;
}

int idle(const Options& options) {
    Load load(options.port, options.path, options.deflate);
    const std::string payload(32, 'i');
    load.open(options.connections, 256, 120);
    for (auto& c : load.connections())
        load.send(*c, text, payload);
    const auto answered = [&](std::uint64_t at_least) {
        return [&load, at_least] {
            return std::all_of(load.connections().begin(), load.connections().end(),
                               [at_least](const auto& c) { return c->messages >= at_least; });
        };
    };
    if (!load.run_until(answered(1), 60))
        die("not every WebSocket had its echo within 60 s");
    std::printf("open=%zu deflate_agreed=%zu\n", load.connections().size(), load.deflate_agreed());
    std::fflush(stdout);
    bool ended = false;
    std::string line;
    load.watch(0, [&] {
        char input[256];
        const ssize_t n = ::read(0, input, sizeof input);
        if (n <= 0) {
            ended = true;
            return;
        }
        line.append(input, static_cast<std::size_t>(n));
        std::size_t newline;
        while ((newline = line.find('\n')) != std::string::npos) {
            const std::string command = line.substr(0, newline);
            line.erase(0, newline + 1);
            if (command != "check")
                continue;
            auto& all = load.connections();
            const std::size_t step = std::max<std::size_t>(1, all.size() / 100);
            std::vector<std::pair<Connection*, std::uint64_t>> sample;
            for (std::size_t i = 0; i < all.size(); i += step) {
                sample.emplace_back(all[i].get(), all[i]->messages);
                load.send(*all[i], text, payload);
            }
            const auto done = [&] {
                return std::all_of(sample.begin(), sample.end(), [](const auto& s) { return s.first->messages > s.second; });
            };
            load.run_until(done, 10);
            const auto count = std::count_if(sample.begin(), sample.end(), [](const auto& s) { return s.first->messages > s.second; });
            std::printf("answered=%zu sample=%zu\n", static_cast<std::size_t>(count), sample.size());
            std::fflush(stdout);
        }
    });
    // Idle for as long as standard input stays open (bench/run closes it), answering pings.
    load.run_until([&] { return ended; }, 600);
    return 0;
}

int broadcast(const Options& options) {
    Load load(options.port, options.path, false);
    load.open(options.connections, 256, 120);
    load.run_until([] { return false; }, 0.5);
    std::vector<double> first_ms, last_ms;
    for (int round = 0; round < options.rounds; ++round) {
        std::vector<std::uint64_t> before;
        for (auto& c : load.connections())
            before.push_back(c->messages);
        auto& all = load.connections();
        const auto sent_at = Clock::now();
        load.send(*all.front(), text, "broadcast " + std::to_string(round));
        const bool done = load.run_until(
            [&] {
                for (std::size_t i = 0; i < all.size(); ++i)
                    if (all[i]->messages <= before[i])
                        return false;
                return true;
            },
            30);
        if (!done)
            die("not every WebSocket had the broadcast within 30 s");
        Clock::time_point first = all.front()->last_message, last = first;
        for (auto& c : all) {
            first = std::min(first, c->last_message);
            last = std::max(last, c->last_message);
        }
        first_ms.push_back(seconds_between(sent_at, first) * 1e3);
        last_ms.push_back(seconds_between(sent_at, last) * 1e3);
        std::fprintf(stderr, "round %d: first %.2f ms, last %.2f ms\n", round + 1, first_ms.back(), last_ms.back());
        load.run_until([] { return false; }, 0.3);
    }
    std::printf("connections=%zu rounds=%d first_ms=%.2f last_ms=%.2f worst_last_ms=%.2f\n", load.connections().size(),
                options.rounds, median(first_ms), median(last_ms), *std::max_element(last_ms.begin(), last_ms.end()));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4)
        die("usage: ws-load echo|big|idle|broadcast PORT PATH [options] (see bench/ws_load.cpp)");
    const std::string_view mode = argv[1];
    Options options;
    options.port = std::atoi(argv[2]);
    options.path = argv[3];
    for (int i = 4; i < argc; ++i) {
        const std::string_view arg = argv[i];
        const auto value = [&] {
            if (i + 1 >= argc)
                die(std::string(arg) + " needs a value");
            return std::string(argv[++i]);
        };
        if (arg == "--connections")
            options.connections = std::stoul(value());
        else if (arg == "--in-flight")
            options.in_flight = std::stoul(value());
        else if (arg == "--size")
            options.size = std::stoul(value());
        else if (arg == "--warmup")
            options.warmup = std::stod(value());
        else if (arg == "--seconds")
            options.seconds = std::stod(value());
        else if (arg == "--server-pid")
            options.server_pid = std::stol(value());
        else if (arg == "--bytes")
            options.bytes = std::stoull(value());
        else if (arg == "--rounds")
            options.rounds = std::stoi(value());
        else if (arg == "--deflate")
            options.deflate = true;
        else
            die("unknown option " + std::string(arg));
    }
    if (mode == "echo")
        return echo(options);
    if (mode == "big")
        return big(options);
    if (mode == "idle")
        return idle(options);
    if (mode == "broadcast")
        return broadcast(options);
    die("unknown mode " + std::string(mode));
}
