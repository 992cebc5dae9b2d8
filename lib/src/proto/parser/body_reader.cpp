#include "proto/parser/body_reader.hpp"

#include <algorithm>

namespace http::detail {

BodyReader::Result BodyReader::feed_body(std::string_view input, std::size_t& consumed, std::string& body) {
    consumed = 0;
    switch (framing_) {
    case Framing::none:
        if (!until_close_)
            return Result::complete;
        if (input.size() > max_body_size_ - received_) {
            error_ = {Status::CONTENT_TOO_LARGE, "body too large"};
            return Result::error;
        }
        body.append(input);
        consumed = input.size();
        received_ += input.size();
        return Result::incomplete;
    case Framing::content_length: {
        const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, input.size()));
        body.append(input.data(), take);
        consumed = take;
        remaining_ -= take;
        return remaining_ == 0 ? Result::complete : Result::incomplete;
    }
    case Framing::chunked:
        switch (chunked_.feed(input, consumed, body)) {
        case ChunkedDecoder::Result::complete:
            return Result::complete;
        case ChunkedDecoder::Result::incomplete:
            return Result::incomplete;
        case ChunkedDecoder::Result::error:
            error_ = chunked_.error();
            return Result::error;
        }
    }
    return Result::error;
}

BodyReader::Result BodyReader::finish() {
    if (framing_ == Framing::none)
        return Result::complete;
    error_ = {Status::BAD_REQUEST, framing_ == Framing::chunked ? "the connection ended inside a chunked body"
                                                                 : "the connection ended before Content-Length bytes"};
    return Result::error;
}

}  // namespace http::detail
