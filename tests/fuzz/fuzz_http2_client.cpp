// The client's HTTP/2 session (Http2ClientSession) fed a server's bytes, cut in two: whatever
// they are, it ends in a NetFailure or goes on, never crashes, and keeps its streams' accounts.
#include "fuzz.hpp"

#include "client/http2_session.hpp"

#include <string>
#include <vector>

using namespace http::detail;

namespace {

// What the session has to send is written at once (the peer is a byte string).
void flush(Http2ClientSession& session) {
    while (true) {
        const std::string_view out = session.output();
        if (out.empty())
            return;
        session.written(out.size());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const fuzz::Input input = fuzz::split_input(data, size);
    // Small limits and windows, so that inputs of a few KiB reach them.
    Http2ClientSession session({.max_header_list_size = 1024, .max_header_fields = 16,
                                .initial_window_size = 4096, .connection_window_size = 65535,
                                .max_concurrent_streams = 4});
    std::vector<std::int32_t> ids;
    ids.push_back(session.submit("GET", "http", "fuzz.test", "/", {{"Accept", "*/*"}}));
    ids.push_back(session.submit("POST", "http", "fuzz.test", "/up", {}, "a body to send"));
    ids.push_back(session.submit("HEAD", "http", "fuzz.test", "/head", {}));
    flush(session);

    bool failed = false;
    for (const std::string_view piece : {input.bytes.substr(0, input.split), input.bytes.substr(input.split)}) {
        try {
            session.receive(piece);
        } catch (const NetFailure&) {
            failed = true;
            break;
        }
        for (const std::int32_t id : session.changed()) {
            const Http2ClientStream* stream = session.find(id);
            FUZZ_CHECK(stream != nullptr);
            FUZZ_CHECK(!stream->head || (stream->status >= 200 && stream->status <= 599));
            const std::uint64_t before = stream->body_received;
            const std::string body = session.take_body(id);
            FUZZ_CHECK(body.size() <= before);
            FUZZ_CHECK(session.find(id)->body.empty());
        }
        flush(session);
    }
    FUZZ_CHECK(failed == session.failure().has_value());
    if (failed)
        for (const std::int32_t id : ids)
            FUZZ_CHECK(session.find(id)->finished());
    for (const std::int32_t id : ids) {
        const Http2ClientStream* stream = session.find(id);
        FUZZ_CHECK(stream->header_bytes <= 1024 || stream->failure.has_value());
        FUZZ_CHECK(!stream->ended || !stream->failure.has_value());
    }
    session.end_of_input();
    FUZZ_CHECK(session.open_streams() == 0);
    for (const std::int32_t id : ids)
        FUZZ_CHECK(session.find(id)->finished());
    FUZZ_CHECK(!session.want_read());
    session.release(ids[0]);
    FUZZ_CHECK(session.find(ids[0]) == nullptr);
    return 0;
}
