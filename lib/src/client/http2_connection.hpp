// An HTTP/2 connection of the client (RFC 9113): the requests to one origin made on one loop share
// it, each as a stream, many at once.
//
// No coroutine owns the connection's I/O. A request submits its stream, then waits for its
// response; while it waits, one of the waiting requests drives the connection: it writes what
// the session has to send, reads what came and wakes the streams that changed, waiting for the
// socket (readable or writable, whichever first) only when neither can go on. The request that
// drives hands over to another waiting one when its own response is whole. So the socket is read
// only while a response is awaited, and a connection with nothing in flight costs nothing. A
// request that produces output while another drives (a new stream, a window opened as a body is
// taken) has it written at the end of the loop's turn, with what the other requests of that turn
// produced: one write for many streams.
//
// Everything runs on one loop (the client keeps a connection per loop): nothing here is locked.
#pragma once

#include "client/http2_session.hpp"
#include "client/stream.hpp"
#include "server/reactor.hpp"
#include "task/strand.hpp"

#include <http/headers.hpp>
#include <http/task.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace http::detail {

/// A stream the server did not process (REFUSED_STREAM, or above a GOAWAY's last stream id), or
/// a connection that could take no new stream: the request may go again, on another connection,
/// whatever its method (RFC 9113, Section 8.7).
struct Http2Refused : NetFailure {
    using NetFailure::NetFailure;
};

/// What one stream sends: the request's head and its content, whole.
struct Http2Request {
    std::string_view method;
    std::string_view scheme;
    std::string_view authority;
    std::string_view path;
    const Headers* fields = nullptr;
    std::string_view body;
};

class Http2Connection : public std::enable_shared_from_this<Http2Connection> {
public:
    Http2Connection(std::unique_ptr<Stream> stream, Http2ClientLimits limits, std::shared_ptr<ReactorLife> loop);
    Http2Connection(const Http2Connection&) = delete;
    Http2Connection& operator=(const Http2Connection&) = delete;

    /// Whether a new stream may open on it now, from `loop`: the loop it belongs to, still alive,
    /// no GOAWAY, no failure, a stream free under the server's limit.
    bool usable(const ReactorLife* loop) const;
    /// Whether it has ended for good (a failure, a GOAWAY): the pool lets it go.
    bool ended() const;

    /// Sends `request` as a stream and waits for the response: `on_head` once its final head is
    /// in, then `on_body` with each piece of its body as it comes; returns once it is whole (the
    /// stream's trailers given to `on_end`). `wait_until()` is the deadline of each wait
    /// (receive_timeout within the request's own). Throws NetFailure: Http2Refused when the
    /// request may go again elsewhere; what the callbacks throw goes through (the stream is
    /// reset).
    Task<> exchange(const Http2Request& request, std::function<Clock::time_point()> wait_until,
                    const std::function<void(const Http2ClientStream&)>& on_head,
                    const std::function<void(std::string_view)>& on_body,
                    const std::function<void(const Http2ClientStream&)>& on_end);

private:
    /// One round of the driver: what can be written and read without waiting, or else a wait for
    /// the socket until `deadline`. False when the deadline came first.
    Task<bool> drive(Clock::time_point deadline);
    /// Writes and reads what can go without waiting, and wakes the streams that changed. True if
    /// anything moved.
    bool pump();
    /// Writes what the session has to send, as far as the socket takes it now.
    void flush() noexcept;
    /// flush() soon, once this turn of the loop is over: the streams opened and the windows
    /// opened in one turn go out in one write.
    void flush_soon();
    /// Wakes the streams the session says changed (all of them once the connection failed).
    void dispatch();
    /// Wakes a waiting stream other than `except`, to drive the connection in its turn.
    void wake_one(std::int32_t except);

    std::unique_ptr<Stream> stream_;
    Http2ClientSession session_;
    std::shared_ptr<ReactorLife> loop_;
    std::map<std::int32_t, std::shared_ptr<Trigger>> waiting_;  // streams in flight, and what wakes each
    std::optional<NetFailure> broken_;                          // the socket failed
    std::string read_buffer_;
    bool driving_ = false;
    bool flush_scheduled_ = false;
};

}  // namespace http::detail
