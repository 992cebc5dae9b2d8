// The client's side of an HTTP/2 connection (RFC 9113), with libnghttp2 for the framing and HPACK,
// and no I/O: the caller connects, writes what output() gives, and hands what it reads to
// receive(). Requests go out as streams (submit()); what comes back for each is kept in an
// Http2ClientStream the caller reads and drains (find(), take_body()), told which streams changed
// by changed().
//
// Flow control follows the caller: the window of a stream (and of the connection) opens again only
// as the caller takes the body received on it (take_body(), release()), not as bytes arrive, so a
// caller that stops reading stops the server after one window, and memory stays bounded whatever
// the server sends.
//
// What the server does wrong is a NetFailure with the kind the HTTP/1.1 client would report:
// malformed_response for a response HTTP/2 forbids (no :status, a 101, an upper-case name, a
// content-length its DATA do not match) or a connection that breaks the protocol; too_large for a
// header section past Http2ClientLimits::max_header_list_size; closed for a stream reset, a
// GOAWAY or a connection ended before the response was whole. A stream error fails that stream
// only (Http2ClientStream::failure); a connection error fails the session: receive() throws it and
// failure() keeps it, and every stream not yet whole fails with it.
//
// Driving it: after connecting, write output() (the preface and SETTINGS, with the requests
// submit() has opened meanwhile), and hand what is read to receive(), or call end_of_input() when
// the server closes. Every call that changes the session (receive, submit, send_body, take_body,
// reset, release, goaway) may leave frames in output(): acknowledgements after a receive,
// WINDOW_UPDATEs after a take_body. changed() names the streams to look at after each. Timeouts
// are the caller's: how long to wait for settings_received(), for a stream's head or its next
// bytes (then reset() it), for the whole connection.
//
// Not thread-safe: one thread (the connection's) calls everything.
#pragma once

#include "client/stream.hpp"
#include "proto/http2/http2.hpp"
#include "proto/parser/response_parser.hpp"

#include <http/h2_error_codes.hpp>
#include <http/headers.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

typedef struct nghttp2_session nghttp2_session;

namespace http::detail {

struct Http2ClientLimits {
    /// Decoded bytes of a response's header section, trailers included, each field counted as its
    /// name, its value and 32 (as SETTINGS_MAX_HEADER_LIST_SIZE, which announces it); past it the
    /// stream fails with too_large. The HTTP/1.1 client's bound.
    std::size_t max_header_list_size = response_max_header_size;
    /// Fields of that header section (head and trailers).
    std::size_t max_header_fields = response_max_header_fields;
    /// Each stream's receive window (SETTINGS_INITIAL_WINDOW_SIZE): body bytes a stream may have
    /// received and the caller not yet taken.
    std::uint32_t initial_window_size = 1024 * 1024;
    /// The connection's receive window: the same, for all streams together (65,535 at least).
    std::uint32_t connection_window_size = 16 * 1024 * 1024;
    /// The most streams open at once, whatever more the server allows; announced as
    /// SETTINGS_MAX_CONCURRENT_STREAMS too (which, push being off, the server has no use for).
    std::uint32_t max_concurrent_streams = http2_max_streams;
};

/// What has come back on one stream.
struct Http2ClientStream {
    std::int32_t id = 0;
    /// The final status, once its header section is in (head); interim 1xx responses are skipped.
    int status = 0;
    Headers headers;   ///< the final response's fields, names in lower case, no pseudo-fields
    Headers trailers;  ///< fields of a header section after the body
    /// Body bytes received and not yet taken (take_body()); their window opens again when taken.
    std::string body;
    std::uint64_t body_received = 0;  ///< all body bytes received on it, taken or not
    std::size_t interim_responses = 0;  ///< 1xx responses skipped
    std::size_t header_bytes = 0;   ///< of the header section being received, against the limits
    std::size_t header_fields = 0;
    bool head = false;   ///< the final response's header section is in
    bool ended = false;  ///< the server ended the stream (END_STREAM): the response is whole
    bool closed = false; ///< nghttp2 is done with the stream (ended both ways, or reset)
    /// The stream was reset, by the server's RST_STREAM or by this side (release(), reset(), a
    /// malformed response): its error code.
    std::optional<h2::ErrorCode> reset;
    bool reset_by_server = false;
    /// The server did not process the request (RST_STREAM REFUSED_STREAM, or a GOAWAY whose last
    /// stream id is below this one): it may be sent again, on another connection after a GOAWAY,
    /// whatever its method (RFC 9113, Section 8.7).
    bool retryable = false;
    /// Why the stream ended without a whole response; unset when ended.
    std::optional<NetFailure> failure;
    /// Request body not yet handed to nghttp2, as views of the caller's memory: a view no longer
    /// here has been copied into a frame, and its memory may go (empty: send_body() may give more).
    /// (A vector, not a deque: a deque allocates half a kilobyte for every stream, body or not.)
    std::vector<std::string_view> upload;
    bool upload_last = false;  ///< the view in `upload` ends the request body
    bool upload_done = false;  ///< the request body has gone out whole (END_STREAM made)

    bool finished() const noexcept { return ended || failure.has_value(); }
};

/// The server's GOAWAY.
struct Http2Goaway {
    std::int32_t last_stream_id = 0;  ///< streams above it were not processed (retryable)
    h2::ErrorCode error_code = h2::ErrorCode::NO_ERROR;
    std::string debug_data;
};

class Http2ClientSession {
public:
    /// Queues the client preface and SETTINGS (ENABLE_PUSH 0, the limits), which output() gives
    /// first. Throws std::invalid_argument for limits HTTP/2 cannot announce (a window past
    /// 2^31-1), std::bad_alloc if nghttp2 cannot make its session.
    explicit Http2ClientSession(Http2ClientLimits limits = {});
    ~Http2ClientSession();
    Http2ClientSession(const Http2ClientSession&) = delete;
    Http2ClientSession& operator=(const Http2ClientSession&) = delete;

    /// The bytes to write now (empty: nothing). They stay until written(): write what you can of
    /// them, then call written() with how many went. The view is valid until the next output();
    /// nothing else touches it, so a write of it may be under way while receive() and the others
    /// run.
    std::string_view output();
    /// The first `n` bytes of output() were written.
    void written(std::size_t n);

    /// Takes bytes read from the server. Throws NetFailure (malformed_response) when the server
    /// broke HTTP/2 so that the connection must end: the GOAWAY saying so is in output(), and
    /// nothing more is read; failure() keeps it.
    void receive(std::string_view bytes);
    /// The server closed the connection (a read gave 0 bytes, or an error): every stream not yet
    /// whole fails (closed), streams above a GOAWAY's last stream id being retryable.
    void end_of_input();

    /// Opens a stream for a request and returns its id. `fields` go out with lower-case names,
    /// without Host (`authority` is :authority; empty, the Host field's value is), the connection-specific ones (Connection,
    /// Keep-Alive, Proxy-Connection, Transfer-Encoding, Upgrade), Expect and Content-Length, which
    /// is `length` when given, else set from `body` when `last`; TE only as "trailers". `body` is
    /// the request's content if `last`, else its first part (send_body() gives the rest); it is
    /// not copied, and must stay valid until the stream is upload_done, failed, closed or
    /// released. Throws NetFailure (invalid_request) for a method, path, authority or field that
    /// cannot go out, std::logic_error unless can_open().
    std::int32_t submit(std::string_view method, std::string_view scheme, std::string_view authority,
                        std::string_view path, const Headers& fields, std::string_view body = {}, bool last = true,
                        std::optional<std::uint64_t> length = std::nullopt);
    /// More of a request body submit() began; `last` ends it. The same lifetime rule holds. The
    /// stream is marked changed (changed()) each time what it was given has gone out and it
    /// waits for more.
    void send_body(std::int32_t id, std::string_view bytes, bool last);

    /// The stream's state, or nullptr for an id not submitted or released.
    const Http2ClientStream* find(std::int32_t id) const;
    /// Takes the body bytes received on stream `id` so far, opening its window by as many.
    std::string take_body(std::int32_t id);
    /// Forgets stream `id`: its untaken body is dropped (and its window opened), and if it is
    /// still open it is reset (CANCEL).
    void release(std::int32_t id);
    /// Resets stream `id` with `error_code` (CANCEL: the caller gave up on it, a timeout).
    void reset(std::int32_t id, h2::ErrorCode error_code = h2::ErrorCode::CANCEL);
    /// The ids of the streams whose state changed since the last call (head, body, trailers,
    /// end, reset, failure), each once.
    std::vector<std::int32_t> changed();

    /// Ends the connection cleanly: GOAWAY with `error_code` (last stream id 0: no server stream is
    /// taken). The streams open go on to their end; no new one opens.
    void goaway(h2::ErrorCode error_code = h2::ErrorCode::NO_ERROR);

    /// Whether the server's SETTINGS has come: a server that never sends it is not speaking
    /// HTTP/2, and the caller's timeout decides how long to wait.
    bool settings_received() const noexcept { return settings_received_; }
    /// The server's GOAWAY, once received.
    const std::optional<Http2Goaway>& goaway_received() const noexcept { return goaway_; }
    /// What ended the session, if something did: a connection error (malformed_response), or the
    /// end of input (closed).
    const std::optional<NetFailure>& failure() const noexcept { return failure_; }

    /// Whether bytes are to be read (streams wait for their responses, or nothing ended it).
    bool want_read() const;
    /// Whether output() has something to write.
    bool want_write() const;
    /// Streams submitted and not yet closed.
    std::size_t open_streams() const noexcept { return open_; }
    /// Whether submit() may open another stream: no GOAWAY either way, no failure, and fewer
    /// streams open than the server's SETTINGS_MAX_CONCURRENT_STREAMS and the limits allow.
    bool can_open() const;

private:
    friend struct Http2ClientCallbacks;

    Http2ClientStream* stream(std::int32_t id);
    void touch(Http2ClientStream& stream);
    /// Fails `stream` with `kind` and `message` unless it has already ended or failed.
    void fail(Http2ClientStream& stream, TransportError::Kind kind, const std::string& message);
    /// The connection ended for `why`: every stream not whole fails with it.
    void fail_all(const NetFailure& why);
    /// Runs nghttp2_session_mem_send into `into` (out_, or staged_ outside output()).
    void pump(std::string& into);

    Http2ClientLimits limits_;
    nghttp2_session* session_ = nullptr;
    std::map<std::int32_t, Http2ClientStream> streams_;
    std::vector<std::int32_t> changed_;
    std::string out_;            // frames made, not yet written
    std::size_t out_sent_ = 0;   // how much of out_ is written
    std::string staged_;         // frames made by receive(), for the next output()
    std::size_t open_ = 0;
    bool settings_received_ = false;
    bool goaway_sent_ = false;   // goaway() was called
    std::optional<Http2Goaway> goaway_;
    std::optional<NetFailure> failure_;
    std::string last_error_;     // nghttp2's words for the error it found last (error_callback2)
    static constexpr std::uint8_t no_frame = 0xff;
    std::uint8_t last_sent_type_ = no_frame;  // of the frame nghttp2 made last
    std::vector<std::pair<std::int32_t, std::size_t>> to_consume_;  // window to open after a receive
};

}  // namespace http::detail
