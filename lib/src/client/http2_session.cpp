#include "client/http2_session.hpp"

#include "proto/message/serialize.hpp"
#include "proto/parser/char_class.hpp"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <new>
#include <stdexcept>
#include <utility>

namespace http::detail {

namespace {

using Kind = TransportError::Kind;

// output() makes frames until this many bytes wait to be written; control frames, which nghttp2
// makes before any DATA, always (a GOAWAY is never held behind a body).
constexpr std::size_t output_budget = 64 * 1024;

std::string_view view(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// "REFUSED_STREAM", or the value in hex for a code the registry does not have.
std::string code_text(std::uint32_t code) {
    const std::string_view name = h2::error_code_name(static_cast<h2::ErrorCode>(code));
    if (!name.empty())
        return std::string(name);
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%x", code);
    return hex;
}

std::string stream_name(std::int32_t id) { return "stream " + std::to_string(id); }

std::string lower(std::string_view name) {
    std::string out(name);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
    return out;
}

}  // namespace

// nghttp2's callbacks, with access to the session. None throws: an exception (bad_alloc) is a
// callback failure, which ends the session.
struct Http2ClientCallbacks {
    static Http2ClientSession& of(void* user_data) { return *static_cast<Http2ClientSession*>(user_data); }

    static int begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
        Http2ClientSession& self = of(user_data);
        Http2ClientStream* stream = self.stream(frame->hd.stream_id);
        if (!stream || stream->head)
            return 0;  // trailers count on with the head's bytes
        // A new response head: the final one, or another interim one.
        stream->status = 0;
        stream->headers = Headers();
        stream->header_bytes = 0;
        stream->header_fields = 0;
        return 0;
    }

    static int header(nghttp2_session* session, const nghttp2_frame* frame, const std::uint8_t* name,
                      std::size_t name_length, const std::uint8_t* value, std::size_t value_length, std::uint8_t,
                      void* user_data) try {
        Http2ClientSession& self = of(user_data);
        Http2ClientStream* stream = self.stream(frame->hd.stream_id);
        if (!stream || stream->failure || frame->hd.type != NGHTTP2_HEADERS)
            return 0;
        // Counted decoded, as SETTINGS_MAX_HEADER_LIST_SIZE counts: HPACK can make a small block
        // decode to a great deal.
        stream->header_bytes += name_length + value_length + 32;
        if (stream->header_bytes > self.limits_.max_header_list_size ||
            ++stream->header_fields > self.limits_.max_header_fields) {
            self.fail(*stream, Kind::too_large,
                      "the response's header section on " + stream_name(stream->id) + " passed " +
                          (stream->header_bytes > self.limits_.max_header_list_size
                               ? "max_header_list_size (" + std::to_string(self.limits_.max_header_list_size) +
                                     " bytes, each field counted as its name, its value and 32)"
                               : "max_header_fields (" + std::to_string(self.limits_.max_header_fields) + " fields)"));
            stream->reset = h2::ErrorCode::CANCEL;
            nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, stream->id, NGHTTP2_CANCEL);
            return 0;
        }
        const std::string_view n = view(name, name_length), v = view(value, value_length);
        if (n == ":status") {
            // nghttp2 has refused 101 and what is not a number; three digits from 100 to 599 are
            // this side's check.
            const bool digits = v.size() == 3 && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
            const int code = digits ? (v[0] - '0') * 100 + (v[1] - '0') * 10 + (v[2] - '0') : 0;
            if (code < 100 || code > 599) {
                self.fail(*stream, Kind::malformed_response,
                          "the server's response on " + stream_name(stream->id) + " has the status '" + std::string(v) +
                              "', not one from 100 to 599");
                stream->reset = h2::ErrorCode::PROTOCOL_ERROR;
                nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, stream->id, NGHTTP2_PROTOCOL_ERROR);
                return 0;
            }
            stream->status = code;
        } else if (!n.empty() && n.front() == ':') {
            // nghttp2 refuses any other pseudo-field in a response.
        } else if (stream->head) {
            stream->trailers.add(std::string(n), std::string(v));
        } else if (stream->status >= 200) {
            stream->headers.add(std::string(n), std::string(v));
        }  // an interim response's fields are dropped with it
        return 0;
    } catch (...) {
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    }

    static int frame_received(nghttp2_session* session, const nghttp2_frame* frame, void* user_data) try {
        Http2ClientSession& self = of(user_data);
        const bool end_stream = frame->hd.flags & NGHTTP2_FLAG_END_STREAM;
        switch (frame->hd.type) {
        case NGHTTP2_SETTINGS:
            if (!(frame->hd.flags & NGHTTP2_FLAG_ACK))
                self.settings_received_ = true;
            break;
        case NGHTTP2_HEADERS:
            if (Http2ClientStream* stream = self.stream(frame->hd.stream_id); stream && !stream->failure) {
                if (!stream->head) {
                    if (stream->status < 200) {
                        // 100, 103 ...: the final response follows, after a few at most
                        if (++stream->interim_responses > response_max_interim) {
                            self.fail(*stream, Kind::too_large,
                                      "the server sent more than " + std::to_string(response_max_interim) +
                                          " interim (1xx) responses on " + stream_name(stream->id));
                            stream->reset = h2::ErrorCode::CANCEL;
                            nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, stream->id, NGHTTP2_CANCEL);
                            break;
                        }
                        stream->status = 0;
                        stream->headers = Headers();
                    } else {
                        stream->head = true;
                    }
                }
                stream->ended = stream->ended || end_stream;
                self.touch(*stream);
            }
            break;
        case NGHTTP2_DATA:
            if (Http2ClientStream* stream = self.stream(frame->hd.stream_id); stream && !stream->failure && end_stream) {
                stream->ended = true;
                self.touch(*stream);
            }
            break;
        case NGHTTP2_RST_STREAM:
            if (Http2ClientStream* stream = self.stream(frame->hd.stream_id))
                stream->reset_by_server = true;
            break;
        case NGHTTP2_GOAWAY: {
            const nghttp2_goaway& goaway = frame->goaway;
            self.goaway_ = Http2Goaway{goaway.last_stream_id, static_cast<h2::ErrorCode>(goaway.error_code),
                                       std::string(view(goaway.opaque_data, goaway.opaque_data_len))};
            // Streams above its last stream id were not processed (RFC 9113, Section 6.8); nghttp2
            // closes them next.
            for (auto& [id, stream] : self.streams_) {
                if (id <= goaway.last_stream_id || stream.finished())
                    continue;
                stream.retryable = true;
                self.fail(stream, Kind::closed,
                          "the server did not process " + stream_name(id) + " (GOAWAY " + code_text(goaway.error_code) +
                              " with last stream id " + std::to_string(goaway.last_stream_id) +
                              "): the request may be sent again on another connection");
            }
            break;
        }
        default:
            break;
        }
        return 0;
    } catch (...) {
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    }

    static int invalid_frame(nghttp2_session*, const nghttp2_frame* frame, int lib_error_code, void* user_data) try {
        Http2ClientSession& self = of(user_data);
        std::string detail = std::exchange(self.last_error_, std::string());
        Http2ClientStream* stream = self.stream(frame->hd.stream_id);
        if (!stream)
            return 0;  // a connection error: its GOAWAY says so (frame_sent)
        if (lib_error_code == NGHTTP2_ERR_HTTP_MESSAGING) {
            if (frame->hd.type == NGHTTP2_HEADERS && !stream->head && stream->status == 0)
                detail = "it has no :status";
            else if (frame->hd.type == NGHTTP2_HEADERS && stream->head)
                detail = "trailers that do not end the stream, or a second response head";
            else if (frame->hd.type == NGHTTP2_DATA || (frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
                detail = "its body does not match its content-length, or it has a body it must not have";
        }
        if (detail.empty())
            detail = nghttp2_strerror(lib_error_code);
        if (detail.find("value: [101]") != std::string::npos && detail.find(":status") != std::string::npos)
            detail = "101 Switching Protocols, which HTTP/2 does not allow (RFC 9113, Section 8.6): " + detail;
        self.fail(*stream, Kind::malformed_response,
                  "the server's response on " + stream_name(stream->id) + " is malformed: " + detail);
        return 0;
    } catch (...) {
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    }

    static int error(nghttp2_session*, int, const char* message, std::size_t length, void* user_data) try {
        of(user_data).last_error_.assign(message, length);
        return 0;
    } catch (...) {
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    }

    static int frame_sent(nghttp2_session*, const nghttp2_frame* frame, void* user_data) try {
        Http2ClientSession& self = of(user_data);
        self.last_sent_type_ = frame->hd.type;
        if (frame->hd.type == NGHTTP2_GOAWAY && frame->goaway.error_code != NGHTTP2_NO_ERROR && !self.goaway_sent_ &&
            !self.failure_) {
            // nghttp2 ended the connection: the server broke HTTP/2 (RFC 9113, Section 5.4.1).
            const std::string reason(view(frame->goaway.opaque_data, frame->goaway.opaque_data_len));
            self.failure_.emplace(Kind::malformed_response,
                                  "the server broke HTTP/2, so the connection ends (GOAWAY " +
                                      code_text(frame->goaway.error_code) + (reason.empty() ? "" : ": " + reason) + ")" +
                                      (self.settings_received_ ? ""
                                                               : "; its first frame was not SETTINGS: it may not speak "
                                                                 "HTTP/2 (h2c by prior knowledge to an HTTP/1.1 server?)"));
        }
        return 0;
    } catch (...) {
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    }

    static int data_chunk(nghttp2_session*, std::uint8_t, std::int32_t stream_id, const std::uint8_t* data,
                          std::size_t length, void* user_data) try {
        Http2ClientSession& self = of(user_data);
        Http2ClientStream* stream = self.stream(stream_id);
        if (!stream || stream->failure) {
            self.to_consume_.emplace_back(stream_id, length);  // nobody takes it: its window opens now
            return 0;
        }
        stream->body.append(view(data, length));
        stream->body_received += length;
        self.touch(*stream);
        return 0;
    } catch (...) {
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    }

    static int stream_closed(nghttp2_session*, std::int32_t stream_id, std::uint32_t error_code, void* user_data) try {
        Http2ClientSession& self = of(user_data);
        Http2ClientStream* stream = self.stream(stream_id);
        if (!stream || stream->closed)
            return 0;
        stream->closed = true;
        --self.open_;
        const bool reset_here = stream->reset.has_value();  // reset() or a defence, before
        if (error_code != NGHTTP2_NO_ERROR && !reset_here)
            stream->reset = static_cast<h2::ErrorCode>(error_code);
        // The server's RST_STREAM REFUSED_STREAM (RFC 9113, Section 8.7), or nghttp2's own for a
        // request it could not send (a GOAWAY came first): not processed either way.
        if (error_code == NGHTTP2_REFUSED_STREAM && !reset_here)
            stream->retryable = true;
        if (!stream->ended) {
            const std::string code = code_text(error_code);
            if (stream->retryable && stream->reset_by_server)
                self.fail(*stream, Kind::closed,
                          "the server refused " + stream_name(stream_id) +
                              " (REFUSED_STREAM): it was not processed and may be sent again");
            else if (stream->retryable)
                self.fail(*stream, Kind::closed,
                          "the request on " + stream_name(stream_id) +
                              " could not be sent (the connection is going away): it may be sent again");
            else if (stream->reset_by_server)
                self.fail(*stream, Kind::closed,
                          "the server reset " + stream_name(stream_id) + " (" + code + ") before the response was whole");
            else
                self.fail(*stream, Kind::closed,
                          stream_name(stream_id) + " was closed (" + code + ") before the response was whole");
        }
        self.touch(*stream);
        return 0;
    } catch (...) {
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    }

    static ssize_t read_body(nghttp2_session*, std::int32_t stream_id, std::uint8_t* buffer, std::size_t length,
                             std::uint32_t* flags, nghttp2_data_source*, void* user_data) {
        Http2ClientSession& self = of(user_data);
        Http2ClientStream* stream = self.stream(stream_id);
        if (!stream || stream->failure)
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // released, reset or failed: RST_STREAM
        std::size_t n = 0;
        while (n < length && !stream->upload.empty()) {
            std::string_view& front = stream->upload.front();
            const std::size_t part = std::min(length - n, front.size());
            std::memcpy(buffer + n, front.data(), part);
            n += part;
            front.remove_prefix(part);
            if (front.empty())
                stream->upload.erase(stream->upload.begin());  // a few views at most
        }
        if (stream->upload.empty()) {
            if (stream->upload_last) {
                *flags |= NGHTTP2_DATA_FLAG_EOF;
                stream->upload_done = true;
                self.touch(*stream);
            } else {
                self.touch(*stream);  // its request gives the next part
                if (n == 0)
                    return NGHTTP2_ERR_DEFERRED;  // send_body() resumes it
            }
        }
        return static_cast<ssize_t>(n);
    }
};

Http2ClientSession::Http2ClientSession(Http2ClientLimits limits) : limits_(limits) {
    nghttp2_session_callbacks* callbacks = nullptr;
    nghttp2_option* options = nullptr;
    if (nghttp2_session_callbacks_new(&callbacks) != 0)
        throw std::bad_alloc();
    if (nghttp2_option_new(&options) != 0) {
        nghttp2_session_callbacks_del(callbacks);
        throw std::bad_alloc();
    }
    nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, Http2ClientCallbacks::begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, Http2ClientCallbacks::header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, Http2ClientCallbacks::frame_received);
    nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(callbacks, Http2ClientCallbacks::invalid_frame);
    nghttp2_session_callbacks_set_error_callback2(callbacks, Http2ClientCallbacks::error);
    nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, Http2ClientCallbacks::frame_sent);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, Http2ClientCallbacks::data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, Http2ClientCallbacks::stream_closed);
    // Windows open as the caller takes the body (take_body()), not as it arrives.
    nghttp2_option_set_no_auto_window_update(options, 1);
    const int made = nghttp2_session_client_new2(&session_, callbacks, this, options);
    nghttp2_session_callbacks_del(callbacks);
    nghttp2_option_del(options);
    if (made != 0)
        throw std::bad_alloc();

    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, limits_.max_concurrent_streams},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, limits_.initial_window_size},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<std::uint32_t>(limits_.max_header_list_size)},
    };
    if (nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings)) != 0) {
        nghttp2_session_del(session_);
        throw std::invalid_argument("Http2ClientLimits: a window or limit HTTP/2 cannot announce");
    }
    if (limits_.connection_window_size > NGHTTP2_INITIAL_CONNECTION_WINDOW_SIZE)
        nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                              static_cast<std::int32_t>(limits_.connection_window_size));
}

Http2ClientSession::~Http2ClientSession() { nghttp2_session_del(session_); }

Http2ClientStream* Http2ClientSession::stream(std::int32_t id) {
    const auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : &it->second;
}

const Http2ClientStream* Http2ClientSession::find(std::int32_t id) const {
    const auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : &it->second;
}

void Http2ClientSession::touch(Http2ClientStream& stream) {
    if (std::find(changed_.begin(), changed_.end(), stream.id) == changed_.end())
        changed_.push_back(stream.id);
}

std::vector<std::int32_t> Http2ClientSession::changed() { return std::exchange(changed_, {}); }

void Http2ClientSession::fail(Http2ClientStream& stream, TransportError::Kind kind, const std::string& message) {
    if (stream.finished())
        return;
    stream.failure.emplace(kind, message);
    touch(stream);
}

void Http2ClientSession::fail_all(const NetFailure& why) {
    for (auto& [id, stream] : streams_)
        fail(stream, why.kind, stream_name(id) + ": " + why.what());
}

void Http2ClientSession::pump(std::string& into) {
    if (failure_ && nghttp2_session_want_write(session_) == 0)
        return;
    while (out_.size() - out_sent_ + staged_.size() < output_budget || last_sent_type_ != NGHTTP2_DATA) {
        const std::uint8_t* data = nullptr;
        const ssize_t n = nghttp2_session_mem_send(session_, &data);
        if (n < 0) {
            if (!failure_)
                failure_.emplace(Kind::io, std::string("HTTP/2: ") + nghttp2_strerror(static_cast<int>(n)));
            fail_all(*failure_);
            return;
        }
        if (n == 0)
            break;
        into.append(view(data, static_cast<std::size_t>(n)));
    }
}

std::string_view Http2ClientSession::output() {
    if (out_sent_ > 0) {
        out_.erase(0, out_sent_);
        out_sent_ = 0;
    }
    out_ += staged_;
    staged_.clear();
    pump(out_);
    return std::string_view(out_).substr(out_sent_);
}

void Http2ClientSession::written(std::size_t n) { out_sent_ = std::min(out_.size(), out_sent_ + n); }

void Http2ClientSession::receive(std::string_view bytes) {
    if (failure_)
        throw *failure_;
    const ssize_t result =
        nghttp2_session_mem_recv(session_, reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    if (result < 0) {
        // nghttp2 can go no further: no GOAWAY can be made.
        failure_.emplace(Kind::malformed_response,
                         result == NGHTTP2_ERR_FLOODED
                             ? "the server flooded the connection with frames that each want an answer (SETTINGS, PING)"
                             : std::string("HTTP/2: ") + nghttp2_strerror(static_cast<int>(result)));
    }
    for (const auto& [id, n] : std::exchange(to_consume_, {}))
        nghttp2_session_consume(session_, id, n);
    // The GOAWAY of a connection error nghttp2 found is made now, so that frame_sent sees it:
    // control frames come before any DATA, and pump() makes them whatever waits to be written.
    if (!failure_) {
        last_sent_type_ = no_frame;
        pump(staged_);  // not into out_: a write of what output() gave may be under way
    }
    if (failure_) {
        fail_all(*failure_);
        throw *failure_;
    }
}

void Http2ClientSession::end_of_input() {
    if (!failure_) {
        std::string message = "the server closed the connection";
        if (goaway_ && goaway_->error_code != h2::ErrorCode::NO_ERROR)
            message += " after GOAWAY " + code_text(static_cast<std::uint32_t>(goaway_->error_code)) +
                       (goaway_->debug_data.empty() ? "" : " (" + goaway_->debug_data + ")");
        failure_.emplace(Kind::closed, message + " before the response was whole");
    }
    for (auto& [id, stream] : streams_) {
        fail(stream, failure_->kind, stream_name(id) + ": " + failure_->what());
        if (!stream.closed) {
            stream.closed = true;
            --open_;
        }
    }
}

std::int32_t Http2ClientSession::submit(std::string_view method, std::string_view scheme, std::string_view authority,
                                        std::string_view path, const Headers& fields, std::string_view body, bool last,
                                        std::optional<std::uint64_t> length) {
    if (!can_open())
        throw std::logic_error("Http2ClientSession::submit: no stream may be opened now (can_open() is false)");
    if (authority.empty())
        authority = fields.get("host");  // Host becomes :authority (RFC 9113, Section 8.3.1)
    try {
        check_request_head(method, path, authority, fields);
    } catch (const std::invalid_argument& e) {
        throw NetFailure(Kind::invalid_request, e.what());
    }
    if (!is_token(scheme))
        throw NetFailure(Kind::invalid_request, "the scheme '" + std::string(scheme) + "' is not a token");

    // The names, lower-cased, live here until nghttp2 has copied them (nghttp2_submit_request).
    std::vector<std::pair<std::string, std::string_view>> kept;
    kept.reserve(fields.size() + 1);
    for (const auto& [name, value] : fields) {
        if (is_request_framing_field(name) || is_http2_connection_specific(name))
            continue;
        if (iequals(name, "te") && !iequals(value, "trailers"))
            continue;  // TE: trailers is the only TE HTTP/2 carries (RFC 9113, Section 8.2.2)
        if (iequals(name, "content-length") && last)
            continue;
        kept.emplace_back(lower(name), value);
    }
    const std::string length_text = std::to_string(length ? *length : body.size());
    const auto nv = [](std::string_view name, std::string_view value) {
        return nghttp2_nv{reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
                          reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
                          NGHTTP2_NV_FLAG_NONE};
    };
    std::vector<nghttp2_nv> head;
    head.reserve(kept.size() + 5);
    head.push_back(nv(":method", method));
    head.push_back(nv(":scheme", scheme));
    head.push_back(nv(":authority", authority));
    head.push_back(nv(":path", path));
    for (const auto& [name, value] : kept)
        head.push_back(nv(name, value));
    if (length || (last && !body.empty()))
        head.push_back(nv("content-length", length_text));

    const bool has_body = !(last && body.empty());
    nghttp2_data_provider provider{};
    provider.read_callback = Http2ClientCallbacks::read_body;
    const std::int32_t id =
        nghttp2_submit_request(session_, nullptr, head.data(), head.size(), has_body ? &provider : nullptr, nullptr);
    if (id < 0)
        throw NetFailure(id == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE ? Kind::closed : Kind::invalid_request,
                         std::string("HTTP/2: cannot open a stream: ") + nghttp2_strerror(id));
    Http2ClientStream& stream = streams_[id];
    stream.id = id;
    if (!body.empty())
        stream.upload.push_back(body);
    stream.upload_last = last;
    stream.upload_done = !has_body;
    ++open_;
    return id;
}

void Http2ClientSession::send_body(std::int32_t id, std::string_view bytes, bool last) {
    Http2ClientStream* s = stream(id);
    if (!s || s->upload_last)
        throw std::logic_error("Http2ClientSession::send_body: " + stream_name(id) + " takes no more body");
    if (!bytes.empty())
        s->upload.push_back(bytes);
    s->upload_last = last;
    if (!s->closed)
        nghttp2_session_resume_data(session_, id);
}

std::string Http2ClientSession::take_body(std::int32_t id) {
    Http2ClientStream* s = stream(id);
    if (!s || s->body.empty())
        return {};
    std::string taken = std::exchange(s->body, std::string());
    nghttp2_session_consume(session_, id, taken.size());
    return taken;
}

void Http2ClientSession::release(std::int32_t id) {
    const auto it = streams_.find(id);
    if (it == streams_.end())
        return;
    Http2ClientStream& s = it->second;
    if (!s.closed) {
        nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
        --open_;
    }
    if (!s.body.empty())
        nghttp2_session_consume(session_, id, s.body.size());
    streams_.erase(it);
    changed_.erase(std::remove(changed_.begin(), changed_.end(), id), changed_.end());
}

void Http2ClientSession::reset(std::int32_t id, h2::ErrorCode error_code) {
    Http2ClientStream* s = stream(id);
    if (!s || s->closed)
        return;
    s->reset = error_code;
    s->upload.clear();  // the caller's memory is not read again
    fail(*s, Kind::closed,
         stream_name(id) + " was reset by this side (" + code_text(static_cast<std::uint32_t>(error_code)) + ")");
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, static_cast<std::uint32_t>(error_code));
}

void Http2ClientSession::goaway(h2::ErrorCode error_code) {
    if (goaway_sent_ || failure_)
        return;
    goaway_sent_ = true;
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(session_),
                          static_cast<std::uint32_t>(error_code), nullptr, 0);
}

bool Http2ClientSession::want_read() const {
    return !failure_ && nghttp2_session_want_read(session_) != 0;
}

bool Http2ClientSession::want_write() const {
    return out_sent_ < out_.size() || !staged_.empty() || nghttp2_session_want_write(session_) != 0;
}

bool Http2ClientSession::can_open() const {
    if (failure_ || goaway_ || goaway_sent_)
        return false;
    const std::uint32_t allowed = std::min(
        limits_.max_concurrent_streams, nghttp2_session_get_remote_settings(session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS));
    return open_ < allowed;
}

}  // namespace http::detail
