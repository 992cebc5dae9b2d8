// One client connection: reads requests, runs the handlers, writes the responses, in order.
//
// process() drives it: it calls step() until a step must wait, then starts that one
// asynchronous operation as its very last action. So at most one operation is pending, and a
// thread that lost the loop while in a handler can hand the connection back (`handoff`) without
// touching it again.
#pragma once

#include "proto/parser/body_reader.hpp"
#include "server/input_buffer.hpp"
#include "server/loop.hpp"

#include <http/request.hpp>
#include <http/response.hpp>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace http::detail {

class Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(Loop& loop, stream::socket socket, ClientInfo client);
    ~Connection();

    /// Runs the on_connect hooks and starts reading. Owner thread.
    void start();
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
    enum class Phase : std::uint8_t { connecting, idle, head, body, handling, lingering, closed };
    enum class Next : std::uint8_t { again, read, write, handoff, stop };

    void process();
    Next step();
    void on_read(const boost::system::error_code& error, std::size_t bytes);
    void on_writable(const boost::system::error_code& error);

    Next need_input();
    Next parse_head();
    Next read_body();
    Next finish_body();
    /// Runs application code: nullopt, or what it threw as the response to send instead (a
    /// Failure as itself, anything else as a 500 reported to on_error).
    template <class Fn>
    std::optional<Response> guarded(const char* what, Fn&& fn);
    /// Runs the on_body hooks; false if one refused the request (the response is queued).
    bool start_body_sink();
    /// Passes request_.body to the sink and empties it; false if the sink refused.
    bool feed_body_sink();
    /// Answers with `response` before the body is read, and closes after.
    void refuse(Response&& response);
    void build_request();
    bool decode_form();  ///< false: more fields than max_form_fields
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
    void log_access(const Request* request, Status status, std::uint64_t bytes);
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
    stream::socket socket_;
    ClientInfo client_;
    Phase phase_ = Phase::connecting;
    bool keep_alive_ = true;
    bool writing_ = false;    // a write is under way: finish it before anything else
    bool timed_out_ = false;  // set by check_deadline; the woken operation acts on it
    bool peer_closed_ = false;  // the client sent its last byte
    std::atomic<bool> shutdown_requested_{false};
    std::atomic<bool> cut_{false};
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
    std::optional<Response> response_;  // set by a handler that ran on a thread that lost the loop
    std::string output_;
    std::size_t output_sent_ = 0;
    std::optional<Response> large_response_;  // a body written from the response, not copied
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

}  // namespace http::detail
