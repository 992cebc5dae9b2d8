// The client's response parser and body reader, whole and cut in two.
#include "fuzz.hpp"

#include "proto/parser/body_reader.hpp"
#include "proto/parser/response_parser.hpp"

#include <string>

using namespace http::detail;

namespace {

struct Outcome {
    ResponseHeadParser::Result head;
    std::string summary;
    BodyReader::Result body_result = BodyReader::Result::incomplete;
    std::string body;
};

Outcome parse(std::string_view input, std::size_t split, bool head_request) {
    ResponseHeadParser parser;
    ResponseHead head;
    Outcome out;
    std::string buffer(input.substr(0, split));
    out.head = parser.parse(buffer, head, head_request);
    if (out.head == ResponseHeadParser::Result::incomplete) {
        buffer.assign(input);
        out.head = parser.parse(buffer, head, head_request);
    } else if (out.head == ResponseHeadParser::Result::complete) {
        buffer.assign(input);  // the head was complete in the first piece; the body follows
        parser.reset();
        out.head = parser.parse(buffer, head, head_request);
    }
    if (out.head != ResponseHeadParser::Result::complete) {
        out.summary = std::string(parser.error().reason);
        return out;
    }
    FUZZ_CHECK(head.status >= 100 && head.status <= 999);
    out.summary = std::to_string(head.status) + " " + std::string(head.reason) + " " +
                  std::to_string(static_cast<int>(head.framing)) + " " + std::to_string(head.until_close);
    for (const Field& f : head.fields)
        out.summary += "|" + std::string(f.name) + ":" + std::string(f.value);
    ChunkedLimits limits;
    limits.max_body_size = 1 << 20;
    BodyReader reader(limits);
    reader.start(head.framing, head.content_length, head.until_close);
    std::size_t used = 0;
    out.body_result = reader.feed(std::string_view(buffer).substr(head.size), used, out.body);
    if (out.body_result == BodyReader::Result::incomplete)
        out.body_result = reader.finish();  // the connection ends here
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const fuzz::Input in = fuzz::split_input(data, size);
    const bool head_request = size > 0 && (data[0] & 0x80);
    const Outcome whole = parse(in.bytes, in.bytes.size(), head_request);
    const Outcome split = parse(in.bytes, in.split, head_request);
    FUZZ_CHECK(whole.head == split.head);
    FUZZ_CHECK(whole.summary == split.summary);
    FUZZ_CHECK(whole.body_result == split.body_result);
    FUZZ_CHECK(whole.body == split.body);
    return 0;
}
