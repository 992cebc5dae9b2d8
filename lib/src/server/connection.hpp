// One client connection: reads requests, runs the handlers, writes the responses, in order.
//
// process() drives it: it calls step() until a step must wait for the socket, then records what
// it waits for (`waiting_`) as its very last action; the loop's events resume it. So at most one
// wait is pending, and a thread that lost the loop while in a handler can hand the connection
// back (`handoff`) without touching it again.
//
// The socket is registered with the loop's reactor once, edge-triggered, for reading and writing.
// `readable_` keeps what the last edge said until a read comes back short (the kernel had no
// more), so a read is made only when there is something to read. On io_uring a plain
// connection's bytes go through the ring (`ring_`), which answers as a non-blocking socket does.
#pragma once

#include "proto/message/problem.hpp"
#include "proto/parser/body_reader.hpp"
#include "server/input_buffer.hpp"
#include "server/loop.hpp"
#include "server/http2.hpp"
#include "server/tls.hpp"

#include <http/request.hpp>
#include <http/response.hpp>

#include <sys/types.h>
#include <sys/uio.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace http::detail {

class Connection final : public Watcher, public std::enable_shared_from_this<Connection> {
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
    friend class Http2Session;
    friend struct Http2Callbacks;

    enum class Phase : std::uint8_t { connecting, handshake, idle, head, body, handling, lingering, http2, closed };
    enum class Next : std::uint8_t { again, read, write, handoff, stop };
    enum class Wait : std::uint8_t { none, read, write };

    void process();
    /// The continuation a thread replaced by the watchdog posts: the connection is the loop's again.
    void resume_after_handoff();
    Next step();
    /// Reads what the socket has into the input (or drops it, lingering); false if it had
    /// nothing (EAGAIN), and the connection must wait.
    bool receive();
    /// Resumes a connection waiting on its socket (a deadline passed, the server closes), through
    /// the loop rather than at once: the caller may be walking the loop's connections.
    void wake();
    /// A non-blocking send of `count` buffers; the bytes sent, or -1 with errno set.
    ssize_t send(const iovec* buffers, int count) noexcept;
    /// What a send or sendfile returned: true with the bytes counted out; false with `then` the
    /// step to return: wait until writable (EAGAIN; write_timeout then runs) or stop (closed).
    bool sent(ssize_t result, Next& then);
    /// Closes with a TCP reset rather than an orderly end (SO_LINGER 0): what is unsent is dropped.
    void reset_on_close() noexcept;

    /// Takes the TLS handshake a step further.
    Next handshake();
    /// The connection speaks HTTP/2 from now on (ALPN h2, or the h2c preface).
    Next begin_http2();
    /// HTTP/2's step: what arrived to the session, handlers run, frames out, then a wait.
    Next http2_step();
    Next http2_work();
    /// Ends an HTTP/2 connection: its GOAWAY, if there is one, with one write, then the close.
    Next end_http2();
    Next need_input();
    Next parse_head();
    Next read_body();
    Next finish_body();
    /// Runs application code: nullopt, or what it threw as the response to send instead (a
    /// Failure as itself, anything else as a 500 reported to on_error).
    template <class Fn>
    std::optional<Response> guarded(const char* what, const Request& request, Fn&& fn);
    /// Runs the on_body hooks for `request`: the first sink one returns goes to `sink`; what a
    /// hook threw is returned, as the response to send instead. HTTP/1.1 and HTTP/2 alike.
    std::optional<Response> open_body_sink(Request& request, BodySink& sink);
    /// Passes request.body to `sink` and empties it; what the sink threw, as the response.
    std::optional<Response> feed_body_sink(Request& request, BodySink& sink);
    /// Runs the on_body hooks for request_; false if one refused the request (the response is queued).
    bool start_body_sink();
    /// Passes request_.body to the sink and empties it; false if the sink refused.
    bool feed_body_sink();
    /// Answers with `response` before the body is read, and closes after.
    void refuse(Response&& response);
    void build_request();
    /// The request's path and queries from its target.
    static void set_target(Request& r, std::string_view target);
    /// The request's scheme, and its client and host as trusted proxies say.
    void set_origin(Request& r) const;
    /// Runs the on_receive handlers; what one threw replaces the response.
    void run_handlers(Request& request, Response& response);
    /// What every response gets before it goes: compression, the dataset's required fields.
    void prepare_response(const Request& request, Response& response);
    /// What a stream's producers call to have the connection send: posts process() to the loop.
    std::function<void()> waker();
    /// An urlencoded body into request.form; false: more fields than max_form_fields.
    bool decode_form(Request& request) const;
    Next handle();
    Next write_output();
    Next after_write();
    Next linger();

    void queue(Response&& response);
    void queue_error(Status status, std::string_view reason);
    /// Appends a small file's content to the output (bounded reads); false if it cannot be read.
    bool append_file_content(const FileContent& file);
    void set_cork(bool on) noexcept;
    /// A line for the access log; `request` null for one refused before it was whole.
    void log_access(const Request* request, Status status, std::uint64_t bytes, Clock::time_point started);
    bool has_output() const noexcept { return output_sent_ < output_.size() || large_response_ || stream_; }
    /// Sends a streamed body: what its producers wrote, until it ends.
    Next write_stream();
    /// The stream's last byte is out (or it was cut short).
    void finish_stream();
    /// While parked, notices a client that closes (a read of 0) instead of at the next write.
    void watch_peer();

    Next close();
    void set_deadline(std::chrono::milliseconds timeout) noexcept;
    void clear_deadline() noexcept { deadline_.store(INT64_MAX, std::memory_order_relaxed); }
    void report(const std::exception& error) noexcept { loop_.shared().report(error, client_); }
    template <class Hooks, class... Args>
    void run_hooks(const Hooks& hooks, const char* name, Args&... args) noexcept;

    Loop& loop_;
    const ServerConfig& config_;
    int fd_;
    std::unique_ptr<TlsSession> tls_;  // on a server that speaks TLS: every byte goes through it
    Ring::Slot* ring_ = nullptr;       // on io_uring, without TLS: every byte goes through the ring
    std::unique_ptr<Http2Session> h2_;  // on an HTTP/2 connection
    std::shared_ptr<Connection> self_;  // the loop's reference, from start() until close()
    ClientInfo client_;
    Phase phase_ = Phase::connecting;
    Wait waiting_ = Wait::none;
    bool readable_ = false;   // the last edge said bytes (or the end) can be read, and no read has
                              // found it empty since (nor TLS left any it received unread)
    bool keep_alive_ = true;
    bool writing_ = false;    // a write is under way: finish it before anything else
    bool timed_out_ = false;  // set by check_deadline; the woken operation acts on it
    bool peer_closed_ = false;  // the client sent its last byte
    bool peer_shut_ = false;    // epoll said the client shut its side: a read will find the end
    bool may_be_h2c_ = false;   // no request yet on a cleartext connection: it may start with the
                                // HTTP/2 preface
    std::atomic<bool> shutdown_requested_{false};
    std::atomic<bool> cut_{false};
    // An HTTP/2 step is running application code on some thread: the loop's other threads (a new
    // owner, after the watchdog) leave the connection alone until it is handed back.
    std::atomic<bool> away_{false};
    std::atomic<std::int64_t> deadline_{INT64_MAX};  // steady-clock ticks
    std::size_t lingering_discarded_ = 0;

    InputBuffer input_;
    RequestHeadParser head_parser_;
    RequestHead head_;
    BodyReader body_;
    std::unique_ptr<MultipartReader> multipart_;  // a multipart body, parsed as it arrives
    std::string body_piece_;                       // what the body reader passes to it
    BodySink body_sink_;                           // the application takes this body as it arrives
    Clock::time_point body_started_{};
    std::uint64_t body_received_ = 0;

    Request request_;
    Clock::time_point request_started_{};
    Clock::time_point response_finished_{};  // when the last response was made
    std::unique_ptr<Response> response_;  // set by a handler that ran on a thread that lost the loop
    std::string output_;
    std::size_t output_sent_ = 0;
    std::unique_ptr<Response> large_response_;  // a body written from the response, not copied
    std::size_t large_sent_ = 0;  // of the body, or of the file part being sent
    std::size_t file_part_ = 0;   // the part of large_response_->file being sent
    bool corked_ = false;         // TCP_CORK is on while a file is sent
    std::shared_ptr<StreamState> stream_;  // the streamed body being sent
    std::string stream_out_;               // of it, taken from its producers, being written
    std::size_t stream_sent_ = 0;
    Status stream_status_ = Status::OK;    // for the access log, written when the stream ends
    bool stream_until_close_ = false;
    bool peer_watch_ = false;              // watch_peer()'s wait is pending
    std::vector<std::pair<Request, Response>> sent_replies_;  // for on_reply hooks, after the write
};

template <class Hooks, class... Args>
void Connection::run_hooks(const Hooks& hooks, const char* name, Args&... args) noexcept {
    Loop::UserCode user_code(loop_);
    for (const auto& hook : hooks) {
        try {
            hook(args...);
        } catch (const std::exception& error) {
            report(error);
        } catch (...) {
            report(std::runtime_error(std::string(name) + " hook threw a non-std exception"));
        }
    }
}

template <class Fn>
std::optional<Response> Connection::guarded(const char* what, const Request& request, Fn&& fn) {
    try {
        fn();
        return std::nullopt;
    } catch (const Failure& failure) {
        return failure_response(failure, request.headers.get("Accept"));
    } catch (const std::exception& error) {
        report(error);
    } catch (...) {
        report(std::runtime_error(std::string(what) + " threw a non-std exception"));
    }
    return failure_response(Status::INTERNAL_SERVER_ERROR, "The server met an unexpected condition.",
                            request.headers.get("Accept"));
}

}  // namespace http::detail
