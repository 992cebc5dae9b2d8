// One HTTP/1.1 connection's protocol, server side, without I/O (RFC 9112): bytes in, events out;
// a response in, bytes out. The server's connection does the reading, writing and waiting, and
// its exchange decides what to admit; this decides what the bytes mean and what the connection
// may do next.
//
// Requests are read one at a time: a pipelined request's head is parsed only once the response
// before it is made (the caller may batch the responses before writing them). A request's
// content is read as its framing says, once the caller has admitted it (read_content(), which
// also answers Expect: 100-continue) or not at all (refuse()). After a malformed request, a
// refusal, a request or response that ends the connection (Connection: close, HTTP/1.0 without
// keep-alive, a body delimited by the end of the connection) or must_close(), the state becomes
// `closing` once the response is made: the caller writes it and ends the connection.
//
//     session.next(input, used, body) -> head      the caller copies what it needs of head(),
//                                                   then drops `used` bytes of input
//     session.read_content(limit, arriving, out)   (a request with content, admitted)
//     session.next(input, used, body) -> content... then end
//     session.write_response(response, shape, out) -> idle again, or closing
#pragma once

#include "proto/parser/body_reader.hpp"
#include "proto/parser/request_parser.hpp"

#include <http/response.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace http::detail {

class Http1ServerSession {
public:
    enum class State : std::uint8_t {
        idle,        ///< between requests: no byte of the next one yet
        head,        ///< a request's head is arriving
        admitting,   ///< its head is in (head()) and content follows: read_content() or refuse()
        content,     ///< its content is arriving
        responding,  ///< it is whole, or refused: the response comes next
        closing,     ///< the last response is made: once it is written, the connection ends
        upgraded     ///< a 101 is made: once it is written, the connection speaks another protocol
    };

    enum class Event : std::uint8_t {
        need_input,  ///< nothing whole in the input: receive more (or say input_ended())
        head,        ///< a request's head is in: head()
        content,     ///< content was appended to the caller's buffer
        end,         ///< the request is whole (its last content, if any, was appended): trailers()
        error,       ///< a malformed or incomplete request: error() is the answer to make
        closed       ///< the client ended the connection between requests
    };

    /// How a response's content goes, beyond its `body`.
    struct Shape {
        /// The content is a file or a stream this long, written by the caller after the head.
        std::optional<std::uint64_t> external_length;
        /// The content is a stream whose length is not declared: chunked, or delimited by the end
        /// of the connection when `until_close` (HTTP/1.0, which then cannot be kept).
        bool stream = false;
        bool until_close = false;
        /// A 101 that switches protocols (Connection: Upgrade): no HTTP/1.1 follows it.
        bool upgrade = false;
    };

    Http1ServerSession(const HeadRules& rules, const ChunkedLimits& limits) : parser_(rules), body_(limits) {}

    State state() const noexcept { return state_; }

    /// The next event in `input`, the received bytes not yet used; `used` says how many of them
    /// the event took. Content goes to the end of `content`. A `head` views `input`: release its
    /// bytes only once done with head().
    Event next(std::string_view input, std::size_t& used, std::string& content);
    /// The client will send nothing more: a request it left unfinished is an error (it may still
    /// read the answer), and between requests the next event is `closed`.
    void input_ended() noexcept { input_ended_ = true; }
    /// The caller's input, `capacity` bytes, is full and holds no whole head: past the header
    /// limit it is an error (true; error() says which), else the caller grows it to input_limit().
    bool input_full(std::size_t capacity) noexcept;
    /// The most a header section may take in the input before input_full() says so.
    std::size_t input_limit() const noexcept { return parser_.rules().max_header_size + 4096; }

    const RequestHead& head() const noexcept { return head_; }
    const ParseError& error() const noexcept { return *error_; }
    const std::vector<Field>& trailers() const noexcept { return body_.trailers(); }
    /// Of the request being answered: HEAD (no content in the response), and HTTP/1.<minor>.
    bool head_request() const noexcept { return head_request_; }
    int version_minor() const noexcept { return version_minor_; }
    /// Content bytes of the request read so far.
    std::uint64_t content_received() const noexcept { return content_received_; }

    /// Admits the request's content: reads up to `limit` bytes of it (past that: an error, 413).
    /// Unless the content is `arriving` already (or the client speaks HTTP/1.0, which must not
    /// get one: RFC 9110, Section 10.1.1), a client that sent Expect: 100-continue is told to go
    /// on: "100 Continue" is appended to `out`.
    void read_content(std::uint64_t limit, bool arriving, std::string& out);
    /// Refuses the request (before its content, or during it): its content is not read, and the
    /// connection ends after the answer.
    void refuse() noexcept;
    /// The connection ends after the response being made, or now between requests (the server
    /// is shutting down, or a streamed body could not be finished).
    void must_close() noexcept;
    /// Whether the response to make will keep the connection open.
    bool keep_alive() const noexcept { return keep_alive_; }

    /// Appends the status line and header section of `response` to `out`, framed for the
    /// request (HEAD, HTTP/1.0, keep-alive), and its body unless the caller must still write it
    /// (true then: a large body, a file or a stream). Throws std::invalid_argument as
    /// serialize_response() does, changing nothing. Then the session waits for the next request,
    /// or is closing.
    bool write_response(const Response& response, const Shape& shape, std::string& out);

private:
    Event fail(const ParseError& error) noexcept;
    Event read_head(std::string_view input, std::size_t& used);
    Event read_body(std::string_view input, std::size_t& used, std::string& content);

    RequestHeadParser parser_;
    BodyReader body_;
    RequestHead head_;
    const ParseError* error_ = nullptr;  // the parser's, the body reader's, or a refusal's
    State state_ = State::idle;
    bool input_ended_ = false;
    bool keep_alive_ = true;
    bool close_after_ = false;  // must_close() was said
    bool head_request_ = false;
    bool expect_continue_ = false;
    int version_minor_ = 1;
    std::uint64_t content_received_ = 0;
};

}  // namespace http::detail
