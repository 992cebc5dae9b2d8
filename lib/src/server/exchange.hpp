// One request and its response on the server, whatever protocol carried them.
//
// A protocol layer knows framing; the exchange knows policy. HTTP/1.1 (connection.cpp) and
// HTTP/2 (http2.cpp) parse a request's head their own way, then hand it here, and from here on
// the rules are the same:
//   admission   the target (path and queries), the origin (scheme; client and host as trusted
//               proxies say), the content: on_body hooks and their sinks, max_body_size,
//               multipart parsed as it arrives, urlencoded forms;
//   handlers    the on_receive hooks, guarded (a Failure is its response, anything else a 500
//               reported to on_error), with the watchdog's hand-off;
//   finishing   compression, the dataset's checks, the framing of a streamed body, the
//               replacement of a response the protocol cannot carry, metrics, the access log and
//               the on_reply hooks.
// Each refusal is decided here (or, for the head, by the protocol's parser) once, with the
// reasons of refusals.hpp.
//
// The protocol layer owns its exchanges: HTTP/1.1 one per connection, used request after
// request so that its strings keep their storage; HTTP/2 one per stream; http::TestClient and
// Request::parse one per request, on bytes in memory with no loop (memory_exchange.hpp). Their calls come from
// the loop's owner thread, or from a thread that lost the loop to the watchdog while in
// application code: after run() says `away`, that thread touches nothing more, and the loop's
// new owner goes on where it stopped.
#pragma once

#include "proto/message/refusals.hpp"
#include "proto/parser/request_parser.hpp"
#include "server/loop.hpp"

#include <http/task.hpp>

#include <http/request.hpp>
#include <http/response.hpp>

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace http::detail {

class MultipartReader;
class ServerWebSocket;
class Strand;

/// How a protocol can end a streamed body whose length is not declared.
enum class Delimiting : std::uint8_t {
    chunked,  ///< HTTP/1.1: the chunked coding
    close,    ///< HTTP/1.0: the end of the connection (which then cannot be kept)
    frames    ///< HTTP/2: its DATA frames, the last with END_STREAM
};

/// What a protocol needs to frame a finished response.
struct Outgoing {
    bool head_request = false;
    /// The content is not `body` but a file or a stream, this long when that is known.
    std::optional<std::uint64_t> external_length;
    /// A streamed body (not yet attached: attach_stream()), and how it is framed.
    std::shared_ptr<StreamState> stream;
    StreamState::Framing stream_framing = StreamState::Framing::none;
    std::uint64_t stream_length = 0;
    /// A 101 that switches the connection to this WebSocket once it is written.
    std::shared_ptr<ServerWebSocket> websocket;
};

/// Where an exchange runs: what it reads (the settings and hooks) and where it reports (on_error,
/// the access log, the metrics). On a server, a loop, whose watchdog may hand a blocked handler's
/// connections off and whose streams carry res.stream(); without one (http::TestClient,
/// Request::parse), the handlers run on the caller's thread and a response cannot be streamed.
struct ExchangeHost {
    const ServerConfig& config;
    ServerShared& shared;
    LoopMetrics& metrics;
    Loop* loop = nullptr;

    static ExchangeHost of(Loop& loop) noexcept;
};

/// What a protocol does around a coroutine handler that waits (Exchange::run()).
class Suspension {
public:
    /// Before the coroutine first runs, on the loop's owner: keep alive what its end needs (the
    /// connection, the stream), however it ends.
    virtual void arm() noexcept = 0;
    /// It ended without waiting, within run(): what arm() kept is let go.
    virtual void disarm() noexcept = 0;
    /// It has ended after a wait, its response made, on the thread that ended it (the loop's
    /// owner, or one the watchdog replaced meanwhile): the protocol goes on, on the loop.
    virtual void resumed() noexcept = 0;

protected:
    ~Suspension() = default;
};

/// What a connection's PROXY protocol header said (Server::proxy_protocol), for its requests.
struct Relayed {
    ProxyHeader header;  ///< req.proxy_header
    bool tls = false;    ///< the client reached the balancer over TLS: req.scheme is "https"
};

class Exchange {
public:
    /// `relayed`, when not null, outlives the exchange: its connection's PROXY protocol header.
    Exchange(const ExchangeHost& host, const ClientInfo& client, const Relayed* relayed = nullptr) noexcept;
    Exchange(Loop& loop, const ClientInfo& client, const Relayed* relayed = nullptr) noexcept
        : Exchange(ExchangeHost::of(loop), client, relayed) {}
    ~Exchange();
    Exchange(const Exchange&) = delete;
    Exchange& operator=(const Exchange&) = delete;

    Request request;
    /// The response being made (a thread's spare one when this exchange has none).
    Response& response() { return response_ ? *response_ : borrow_response(); }
    /// The response, which the exchange no longer holds (a large body to write after the head).
    std::unique_ptr<Response> take_response() noexcept;
    /// Gives the response back, emptied, to the thread's spare: an idle HTTP/1.1 connection holds
    /// none. After the protocol has framed it.
    void release_response() noexcept;

    // --- Admission -----------------------------------------------------------------------------

    /// A request's head is in (it began at `started`): the exchange starts afresh. The protocol
    /// has filled, or now fills, the request's method, version, headers and host.
    void begin(Clock::time_point started) noexcept;
    /// An HTTP/1.1 request's head (views into the input, copied before its bytes are released):
    /// method, target, version, fields, cookies and host into the storage the request before
    /// left, then resolve_target().
    void take_head(const RequestHead& head, bool secure);
    /// The request's path and queries from its `target`; its scheme (TLS if `secure`), and its
    /// client, host and scheme as trusted proxies say.
    void resolve_target(std::string_view target, bool secure);

    /// Content follows the head, `declared` bytes long if the head said. Runs the on_body hooks
    /// (application code): a sink one returns takes the content as it arrives; else a declared
    /// length past max_body_size is refused, and a multipart body is parsed as it arrives. What
    /// came before this call (content_buffer()) goes the same way. False: refused.
    bool open_content(std::optional<std::uint64_t> declared);
    /// Whether open_content() would run no application code (there are no on_body hooks), so
    /// that a protocol may call it where application code may not run.
    bool opens_content_quietly() const noexcept { return host_.config.body_hooks.empty(); }
    /// The most content the protocol should read: max_body_size, or no limit when a sink takes it.
    std::uint64_t content_limit() const noexcept;
    /// Where the protocol appends the content as it arrives.
    std::string& content_buffer() noexcept { return multipart_ ? multipart_piece_ : request.body; }
    /// What was appended to content_buffer() goes on: into the multipart parser, or to wait for
    /// feed_sink(); past max_body_size when nothing takes it as it comes, refused. False: refused.
    bool took_content();
    /// Hands what arrived to the sink (application code). False: refused.
    bool feed_sink();
    bool has_sink() const noexcept { return static_cast<bool>(sink_); }
    /// All the content has come, with `trailers`: the multipart body and the form decoded, the
    /// sink let go (what it holds is done with before the handlers run). False: refused.
    bool end_content(const std::vector<Field>& trailers = {});

    /// Refuses the request with `refusal`'s status and reason (a problem body, counted and
    /// logged): `response` holds the answer. Before begin(), the request is unknown ("-" in the
    /// access log).
    void refuse(const ParseError& refusal);
    bool refused() const noexcept { return refused_; }

    // --- Handlers ------------------------------------------------------------------------------

    enum class Run : std::uint8_t {
        done,      ///< `response` is ready to finish
        away,      ///< this thread lost the loop while in a handler: return, touching nothing; the
                   ///< loop's new owner calls run() again, which then finds the handlers done (or
                   ///< suspended)
        suspended  ///< a coroutine handler waits, holding no thread: the protocol waits for
                   ///< Suspension::resumed(), then calls run() again, which says done
    };
    /// Runs the on_receive handlers, once. A handler that returns a coroutine (http::Task) that
    /// waits leaves the exchange suspended; `suspension` (the protocol's) is told. Without a
    /// loop, the coroutine is driven to its end here.
    Run run(Suspension* suspension = nullptr);
    /// Whether run() has run them (or begun to, on a thread that lost the loop).
    bool handled() const noexcept { return handled_; }
    /// Whether a coroutine handler waits.
    bool suspended() const noexcept { return awaiting_.load(std::memory_order_acquire); }
    /// The client went away: a waiting coroutine handler is resumed with http::Cancelled thrown
    /// by its await (it unwinds now, on this thread), as is each await it begins after. Its
    /// response is a 503 that nobody may read. Thread: the loop's owner.
    void cancel() noexcept;
    /// The loop goes away: a waiting coroutine handler is destroyed where it waits, not resumed.
    void abandon() noexcept;

    // --- Finishing -----------------------------------------------------------------------------

    /// Finishes `response` for sending and has `frame(response, outgoing)` write it the
    /// protocol's way. If `frame` throws (a field value with CR or LF: the handler made a
    /// response that cannot be sent) the response becomes a 500, reported to on_error, and
    /// `frame` is called again with it. A refusal is framed as it is. Afterwards the protocol
    /// attaches a stream, if there is one (attach_stream()).
    template <class Frame>
    Outgoing finish(bool head_request, Delimiting delimiting, Frame&& frame);
    /// Starts sending the streamed body: its producers' writes wake the protocol through `wake`.
    void attach_stream(Outgoing& outgoing, std::function<void()> wake);
    /// The streamed body has ended, `content_bytes` of it sent: its line in the access log.
    void stream_ended(std::uint64_t content_bytes);
    /// When the last response was finished.
    Clock::time_point finished_at() const noexcept { return finished_at_; }

    /// Runs `hooks` (on_connect, on_disconnect, on_reply ...) with `args`, each guarded: what one
    /// throws goes to on_error.
    template <class Hooks, class... Args>
    static void run_hooks(Loop& loop, const ClientInfo& client, const Hooks& hooks, const char* name,
                          Args&... args) noexcept;
    /// What application code threw, to on_error.
    void report(const std::exception& error) const noexcept { host_.shared.report(error, client_); }

private:
    /// Runs application code: nullopt, or what it threw as the response to send instead (a
    /// Failure as itself, anything else as a 500 reported to on_error).
    template <class Fn>
    std::optional<Response> guarded(const char* what, Fn&& fn);
    void refuse(Response&& answer);
    /// The handlers' end: `failure` (what one threw) replaces the response.
    void conclude(std::optional<Response> failure);
    /// Runs `task`, the rest of the handlers, on the loop's strand until it waits or ends.
    Run start_task(Task<> task, Suspension* suspension);
    /// The coroutine has ended: what it threw becomes the response.
    void end_task() noexcept;
    Task<> rest_of_hooks(Task<> first, std::size_t next);
    Response& borrow_response();
    Outgoing prepare(bool head_request, Delimiting delimiting);
    void replace_invalid(const std::exception& error, Outgoing& outgoing);
    void complete(const Outgoing& outgoing);
    void log_access(const Request* logged, Status status, std::uint64_t bytes);

    ExchangeHost host_;
    const ClientInfo& client_;
    const Relayed* relayed_;
    std::unique_ptr<Response> response_;
    Clock::time_point started_{};
    Clock::time_point finished_at_{};
    Status finished_status_ = Status::OK;  // for a stream's line in the access log, at its end
    bool known_ = false;    // begin() was called: the request is whole enough to log
    bool refused_ = false;
    bool handled_ = false;  // the handlers ran
    bool opened_ = false;   // open_content() ran
    std::shared_ptr<Strand> strand_;  // where a coroutine handler runs (it outlives the task)
    Task<> task_;                     // the coroutine handler's, while it runs
    std::atomic<bool> awaiting_{false};  // it waits; end_task() clears it on the thread ending it
    enum class StartState : std::uint8_t { starting, started, ended };
    std::atomic<StartState> start_state_{StartState::started};
    BodySink sink_;
    std::unique_ptr<MultipartReader> multipart_;
    std::string multipart_piece_;  // what the protocol appends while a multipart body is parsed
    std::uint64_t multipart_received_ = 0;
};

/// The on_reply hooks' work: exchanges whose responses are out, run where application code may
/// run (HTTP/1.1 after a write, HTTP/2 outside nghttp2's callbacks).
class Replies {
public:
    /// Whether the server has on_reply hooks at all: if not, add() need not be called.
    static bool wanted(const Loop& loop) noexcept { return !loop.config().reply_hooks.empty(); }
    void add(Request request, Response response) { replies_.emplace_back(std::move(request), std::move(response)); }
    /// Runs the hooks for each; false if this thread lost the loop meanwhile.
    bool run(Loop& loop, const ClientInfo& client);

private:
    std::vector<std::pair<Request, Response>> replies_;
};

template <class Hooks, class... Args>
void Exchange::run_hooks(Loop& loop, const ClientInfo& client, const Hooks& hooks, const char* name,
                         Args&... args) noexcept {
    Loop::UserCode user_code(loop);
    for (const auto& hook : hooks) {
        try {
            hook(args...);
        } catch (const std::exception& error) {
            loop.shared().report(error, client);
        } catch (...) {
            loop.shared().report(std::runtime_error(std::string(name) + " hook threw a non-std exception"), client);
        }
    }
}

template <class Frame>
Outgoing Exchange::finish(bool head_request, Delimiting delimiting, Frame&& frame) {
    Outgoing outgoing = prepare(head_request, delimiting);
    try {
        frame(response(), std::as_const(outgoing));
    } catch (const std::exception& error) {
        replace_invalid(error, outgoing);
        frame(response(), std::as_const(outgoing));
    }
    complete(outgoing);
    return outgoing;
}

}  // namespace http::detail
