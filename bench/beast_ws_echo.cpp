// beast-ws-echo PORT [--deflate]: Boost.Beast's WebSocket server as `bench/run websocket` compares
// httpkit with, written as Beast's own asynchronous examples are (websocket::stream over a
// beast::tcp_stream with the suggested timeouts, a strand per connection, one io_context run by
// one thread per CPU the process may use).
//
//   /ws             each message back with its type (read one, write it, read the next)
//   /ws/broadcast   each message sent to every WebSocket on /ws/broadcast, the sender too
//
// --deflate: permessage-deflate offered to clients that ask (otherwise refused).
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <sched.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

bool deflate = false;
constexpr std::size_t max_message = 16 * 1024 * 1024;  // httpkit's websocket_max_message_size

class BroadcastSession;

// The WebSockets of /ws/broadcast.
struct Room {
    std::mutex mutex;
    std::unordered_set<BroadcastSession*> members;
};
Room room;

void configure(websocket::stream<beast::tcp_stream>& ws) {
    ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws.read_message_max(max_message);
    if (deflate) {
        websocket::permessage_deflate pmd;
        pmd.server_enable = true;
        ws.set_option(pmd);
    }
}

class EchoSession : public std::enable_shared_from_this<EchoSession> {
public:
    explicit EchoSession(beast::tcp_stream&& stream) : ws_(std::move(stream)) {}

    void run(http::request<http::string_body> request) {
        configure(ws_);
        ws_.async_accept(request, [self = shared_from_this()](beast::error_code ec) {
            if (!ec)
                self->read();
        });
    }

private:
    void read() {
        ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec)
                return;
            self->ws_.text(self->ws_.got_text());
            self->ws_.async_write(self->buffer_.data(), [self](beast::error_code write_ec, std::size_t) {
                if (write_ec)
                    return;
                self->buffer_.consume(self->buffer_.size());
                self->read();
            });
        });
    }

    websocket::stream<beast::tcp_stream> ws_;
    beast::flat_buffer buffer_;
};

class BroadcastSession : public std::enable_shared_from_this<BroadcastSession> {
public:
    explicit BroadcastSession(beast::tcp_stream&& stream) : ws_(std::move(stream)) {}
    ~BroadcastSession() {
        const std::lock_guard lock(room.mutex);
        room.members.erase(this);
    }

    void run(http::request<http::string_body> request) {
        configure(ws_);
        ws_.async_accept(request, [self = shared_from_this()](beast::error_code ec) {
            if (ec)
                return;
            {
                const std::lock_guard lock(room.mutex);
                room.members.insert(self.get());
            }
            self->read();
        });
    }

    // From any thread: the message goes out on this session's strand, after those before it.
    void send(const std::shared_ptr<const std::string>& message) {
        net::post(ws_.get_executor(), [self = shared_from_this(), message] {
            self->queue_.push_back(message);
            if (self->queue_.size() == 1)
                self->write();
        });
    }

private:
    void read() {
        ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec)
                return;
            const auto message = std::make_shared<const std::string>(beast::buffers_to_string(self->buffer_.data()));
            self->buffer_.consume(self->buffer_.size());
            std::vector<std::weak_ptr<BroadcastSession>> members;
            {
                const std::lock_guard lock(room.mutex);
                members.reserve(room.members.size());
                for (BroadcastSession* member : room.members)
                    members.push_back(member->weak_from_this());
            }
            for (const auto& weak : members)
                if (const auto member = weak.lock())
                    member->send(message);
            self->read();
        });
    }

    void write() {
        ws_.text(true);
        ws_.async_write(net::buffer(*queue_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec)
                return;
            self->queue_.pop_front();
            if (!self->queue_.empty())
                self->write();
        });
    }

    websocket::stream<beast::tcp_stream> ws_;
    beast::flat_buffer buffer_;
    std::deque<std::shared_ptr<const std::string>> queue_;
};

// Reads the upgrade request, to route by its target, then hands the stream to a session.
class Handshake : public std::enable_shared_from_this<Handshake> {
public:
    explicit Handshake(tcp::socket&& socket) : stream_(std::move(socket)) {}

    void run() {
        stream_.expires_after(std::chrono::seconds(30));
        http::async_read(stream_, buffer_, request_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec || !websocket::is_upgrade(self->request_))
                return;
            self->stream_.expires_never();
            if (self->request_.target() == "/ws/broadcast")
                std::make_shared<BroadcastSession>(std::move(self->stream_))->run(std::move(self->request_));
            else
                std::make_shared<EchoSession>(std::move(self->stream_))->run(std::move(self->request_));
        });
    }

private:
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    http::request<http::string_body> request_;
};

class Listener : public std::enable_shared_from_this<Listener> {
public:
    Listener(net::io_context& ioc, const tcp::endpoint& endpoint) : ioc_(ioc), acceptor_(ioc) {
        acceptor_.open(endpoint.protocol());
        acceptor_.set_option(net::socket_base::reuse_address(true));
        acceptor_.bind(endpoint);
        acceptor_.listen(4096);
    }

    void accept() {
        acceptor_.async_accept(net::make_strand(ioc_), [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
            if (!ec) {
                socket.set_option(tcp::no_delay(true));
                std::make_shared<Handshake>(std::move(socket))->run();
            }
            self->accept();
        });
    }

private:
    net::io_context& ioc_;
    tcp::acceptor acceptor_;
};

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: beast-ws-echo PORT [--deflate]\n");
        return 2;
    }
    const auto port = static_cast<unsigned short>(std::atoi(argv[1]));
    deflate = argc > 2 && std::string_view(argv[2]) == "--deflate";
    cpu_set_t cpus;
    int threads = 1;
    if (::sched_getaffinity(0, sizeof cpus, &cpus) == 0)
        threads = std::max(1, CPU_COUNT(&cpus));
    net::io_context ioc(threads);
    std::make_shared<Listener>(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), port))->accept();
    net::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](beast::error_code, int) { ioc.stop(); });
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i)
        pool.emplace_back([&] { ioc.run(); });
    ioc.run();
    for (auto& thread : pool)
        thread.join();
    return 0;
}
