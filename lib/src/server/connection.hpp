// One client connection: its transport, its deadlines, its waits, and the protocol it speaks.
//
// HTTP/1.1 is the connection's own: its session (proto/http1/server_session.hpp) says what the
// bytes mean, its exchange (exchange.hpp) what to admit and answer, and the connection reads,
// writes (heads, bodies, files with sendfile, streamed bodies) and waits. HTTP/2 is an
// Http2Session the connection feeds and drains. Requests are answered in order, pipelined ones
// in batches.
//
// process() drives it: it calls step() until a step must wait for the socket, then records what
// it waits for (`waiting_`) as its very last action; the loop's events resume it. So at most one
// wait is pending, and a thread that lost the loop while in a handler can hand the connection
// back (`handoff`) without touching it again.
//
// The socket is registered with the loop's reactor once, edge-triggered, for reading and
// writing; the transport keeps what the last edge said (transport.hpp).
#pragma once

#include "proto/http1/server_session.hpp"
#include "server/exchange.hpp"
#include "server/input_buffer.hpp"
#include "server/loop.hpp"

#include <sys/types.h>
#include <sys/uio.h>

#include <atomic>
#include <memory>
#include <string>

namespace http::detail {

class Http2Session;
class ServerWebSocket;
class Transport;
class WebSocketSession;

class Connection final : public Watcher, private Suspension, public std::enable_shared_from_this<Connection> {
public:
    /// Takes over `fd`, a connected non-blocking socket.
    Connection(Loop& loop, int fd, ClientInfo client);
    ~Connection();

    /// Registers with the loop, runs the on_connect hooks and starts reading; the connection
    /// keeps itself alive until it closes. Owner thread.
    void start();
    /// The loop is going away with this connection open: unlinks it and lets it go, running no
    /// hook. Owner thread.
    void abandon() noexcept;
    /// The reactor's report on the socket: resumes what waits for it. Owner thread.
    void on_events(std::uint32_t events) override;
    /// Acts on a passed deadline: 408 for a late request, closing otherwise. Owner thread.
    void check_deadline(Clock::time_point now);
    /// The server is shutting down: close now if idle, else after the response in progress.
    /// Owner thread.
    void shut_down();
    /// The shutdown deadline has passed: close, unless a handler is running (then after it).
    /// Owner thread.
    void cut();

    // The loop's intrusive list.
    Connection* previous = nullptr;
    Connection* next = nullptr;

private:
    enum class Phase : std::uint8_t { proxy, connecting, handshake, http1, handling, lingering, http2, websocket, closed };
    enum class Next : std::uint8_t { again, read, write, handoff, stop };
    enum class Wait : std::uint8_t { none, read, write };

    void process();
    /// The continuation a thread replaced by the watchdog posts: the connection is the loop's again.
    void resume_after_handoff();
    // A coroutine handler that waits (Suspension): the connection lives until it has ended, then
    // goes on, on the loop.
    void arm() noexcept override { suspended_self_ = self_; }
    void disarm() noexcept override { suspended_self_.reset(); }
    void resumed() noexcept override;
    Next step();
    /// Reads what the transport has into the input (or drops it, lingering); false if it had
    /// nothing (EAGAIN), and the connection must wait.
    bool receive();
    /// Steps a connection that waits on its socket, now: a handler that ran on when its thread
    /// lost the loop has returned. Owner thread.
    void resume();
    /// Resumes a connection waiting on its socket (a deadline passed, the server closes), through
    /// the loop rather than at once: the caller may be walking the loop's connections.
    void wake();
    /// What a send or sendfile returned: true with the bytes counted out; false with `then` the
    /// step to return: wait until writable (EAGAIN; write_timeout then runs) or stop (closed).
    bool sent(ssize_t result, Next& then);
    /// What a streamed body's producers call to have the connection send: posts process().
    std::function<void()> waker();
    void set_deadline(std::chrono::milliseconds timeout) noexcept;
    void clear_deadline() noexcept { deadline_.store(INT64_MAX, std::memory_order_relaxed); }

    /// Reads the PROXY protocol header (Server::proxy_protocol): the client becomes the one it
    /// names; what follows it is TLS's or HTTP's.
    Next read_proxy_header();
    /// Takes the TLS handshake a step further.
    Next handshake();

    // HTTP/1.1.
    /// Reads requests: heads, content, the end of each.
    Next read_request();
    /// A request's head is in: the exchange begins, admits its content or refuses it.
    Next on_head();
    /// Content arrived (`end`: all of it).
    Next on_content(bool end);
    /// Nothing whole in the input: what to write first, what to answer, or more to read.
    Next need_input();
    /// Runs the handlers, and makes the response.
    Next handle();
    /// Frames the exchange's response (a refusal too) into the output.
    void respond();
    /// Answers `error` (a malformed request, a timeout ...) and closes after.
    void refuse(const ParseError& error);
    bool has_output() const noexcept { return output_sent_ < output_.size() || large_response_ || stream_; }
    Next write_output();
    /// Sends what stream_out_ holds (an event or body stream's, or a WebSocket's frames): true
    /// once all of it is out and stream_out_ is empty; false with `then` set when the socket is
    /// full or the client is gone.
    bool flush_stream_out(Next& then);
    /// Sends a streamed body: what its producers wrote, until it ends.
    Next write_stream();
    /// The stream's last byte is out (or it was cut short).
    void finish_stream();
    /// While parked, notices a client that closes (a read of 0) instead of at the next write.
    void watch_peer();
    Next after_write();
    Next linger();

    // HTTP/2.
    /// The connection speaks HTTP/2 from now on (ALPN h2, or the h2c preface).
    Next begin_http2();
    /// HTTP/2's step: what arrived to the session, handlers run, frames out, then a wait.
    Next http2_step();
    Next http2_work();
    /// Ends an HTTP/2 connection: its GOAWAY, if there is one, with one write, then the close.
    Next end_http2();

    // WebSocket, after a 101.
    /// The 101 is out: frames from now on.
    Next begin_websocket();
    /// Frames in to the session, what the application sent out, then a wait.
    Next websocket_step();
    /// A deadline passed: a ping, or the end of a WebSocket that does not answer.
    Next websocket_timeout();
    /// The WebSocket is over: its on_close (posted to the loop: it is application code) and the
    /// connection's end.
    Next end_websocket();

    Next close();
    void report(const std::exception& error) noexcept { loop_.shared().report(error, client_); }

    Loop& loop_;
    const ServerConfig& config_;
    int fd_;  // until start() gives it to the transport
    std::unique_ptr<Transport> transport_;
    std::unique_ptr<Http2Session> h2_;  // on an HTTP/2 connection
    std::unique_ptr<WebSocketSession> ws_;  // on a connection switched to WebSocket
    std::shared_ptr<ServerWebSocket> upgrade_;  // the WebSocket of a 101 being written
    bool ws_ping_sent_ = false;  // a ping went out for a quiet WebSocket: it must answer in read_timeout
    Clock::time_point ws_deadline_{};  // when a quiet WebSocket is pinged, or given up
    std::shared_ptr<Connection> self_;  // the loop's reference, from start() until close()
    std::shared_ptr<Connection> suspended_self_;  // while a coroutine handler waits
    ClientInfo client_;
    Relayed relayed_;  // what the PROXY protocol header said, for the requests
    Phase phase_ = Phase::connecting;
    Wait waiting_ = Wait::none;
    bool writing_ = false;      // a write is under way: finish it before anything else
    bool timed_out_ = false;    // set by check_deadline; the woken operation acts on it
    bool peer_closed_ = false;  // the client sent its last byte
    bool may_be_h2c_ = false;   // no request yet on a cleartext connection: it may start with the
                                // HTTP/2 preface
    bool head_deadline_set_ = false;  // read_timeout runs for the head arriving
    Clock::time_point close_when_idle_at_{};  // closing: an idle connection's last request may come until then
    std::atomic<bool> shutdown_requested_{false};
    std::atomic<bool> cut_{false};
    // An HTTP/2 step is running application code on some thread: the loop's other threads (a new
    // owner, after the watchdog) leave the connection alone until it is handed back.
    std::atomic<bool> away_{false};
    std::atomic<std::int64_t> deadline_{INT64_MAX};  // steady-clock ticks
    std::size_t lingering_discarded_ = 0;

    InputBuffer input_;
    Http1ServerSession session_;
    Exchange exchange_;
    Clock::time_point body_started_{};

    std::string output_;
    std::size_t output_sent_ = 0;
    std::unique_ptr<Response> large_response_;  // a body written from the response, not copied
    std::size_t large_sent_ = 0;  // of the body, or of the file part being sent
    std::size_t file_part_ = 0;   // the part of large_response_->file being sent
    bool corked_ = false;         // TCP_CORK is on while a file is sent
    std::shared_ptr<StreamState> stream_;  // the streamed body being sent
    std::string stream_out_;               // of it, taken from its producers, being written
    std::size_t stream_sent_ = 0;
    bool peer_watch_ = false;              // watch_peer()'s wait is pending
    Replies replies_;                      // on_reply hooks, run after the write
};

}  // namespace http::detail
