// The request parser and body reader: no crash, and the same result whether the bytes arrive
// whole or cut in two (the buffer moving in between, as a connection's may).
#include "fuzz.hpp"

#include "proto/parser/body_reader.hpp"
#include "proto/parser/request_parser.hpp"

#include <string>

using namespace http::detail;

namespace {

struct Outcome {
    RequestHeadParser::Result head;
    std::string_view reason;
    std::string summary;  // method, target, fields, framing
    BodyReader::Result body_result = BodyReader::Result::incomplete;
    std::string body;
};

Outcome parse(std::string_view input, std::size_t split) {
    RequestHeadParser parser;
    RequestHead head;
    Outcome out;
    std::string buffer(input.substr(0, split));
    out.head = parser.parse(buffer, head);
    if (out.head == RequestHeadParser::Result::incomplete) {
        buffer.assign(input);  // a new buffer: the parser must keep offsets, not pointers
        out.head = parser.parse(buffer, head);
    } else {
        buffer.assign(input);  // the head was complete in the first piece; the body follows
        if (out.head == RequestHeadParser::Result::complete)
            out.head = parser.parse(buffer, head);  // views into the full buffer
    }
    out.reason = parser.error().reason;
    if (out.head != RequestHeadParser::Result::complete)
        return out;
    FUZZ_CHECK(head.size <= buffer.size());
    out.summary = std::string(head.method) + " " + std::string(head.target) + " " + std::string(head.host) + " " +
                  std::to_string(head.version_minor) + " " + std::to_string(static_cast<int>(head.framing)) + " " +
                  std::to_string(head.content_length);
    for (const Field& f : head.fields)
        out.summary += "|" + std::string(f.name) + ":" + std::string(f.value);
    BodyReader reader;
    reader.start(head.framing, head.content_length);
    const std::string_view rest = std::string_view(buffer).substr(head.size);
    std::size_t used = 0;
    const std::size_t cut = split > head.size ? split - head.size : 0;
    out.body_result = reader.feed(rest.substr(0, std::min(cut, rest.size())), used, out.body);
    std::size_t total = used;
    if (out.body_result == BodyReader::Result::incomplete) {
        out.body_result = reader.feed(rest.substr(total), used, out.body);
        total += used;
    }
    FUZZ_CHECK(total <= rest.size());
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const fuzz::Input in = fuzz::split_input(data, size);
    const Outcome whole = parse(in.bytes, in.bytes.size());
    const Outcome split = parse(in.bytes, in.split);
    FUZZ_CHECK(whole.head == split.head);
    FUZZ_CHECK(whole.reason == split.reason);
    FUZZ_CHECK(whole.summary == split.summary);
    if (whole.head == RequestHeadParser::Result::complete) {
        FUZZ_CHECK(whole.body_result == split.body_result);
        if (whole.body_result == BodyReader::Result::complete)
            FUZZ_CHECK(whole.body == split.body);
    }
    return 0;
}
