// The refusals a request can meet before a handler sees it that more than one protocol makes:
// each is decided once (by the server's exchange, or by each protocol's head checks against the
// same limit) and answered with the same status and reason, whether HTTP/1.1 or HTTP/2 carried
// the request.
#pragma once

#include "proto/parser/head_parser.hpp"

namespace http::detail::refusals {

inline constexpr ParseError header_section_too_large{Status::REQUEST_HEADER_FIELDS_TOO_LARGE,
                                                     "header section too large"};
inline constexpr ParseError target_too_long{Status::URI_TOO_LONG, "request-target too long"};
inline constexpr ParseError content_too_large{Status::CONTENT_TOO_LARGE,
                                              "the content is larger than the server accepts"};
inline constexpr ParseError multipart_without_boundary{Status::BAD_REQUEST, "multipart/form-data without a boundary"};
inline constexpr ParseError too_many_form_fields{Status::CONTENT_TOO_LARGE, "too many form fields"};
inline constexpr ParseError request_timeout{Status::REQUEST_TIMEOUT, "the request did not arrive in time"};
inline constexpr ParseError incomplete_request{Status::BAD_REQUEST,
                                               "the connection closed before the request was complete"};

}  // namespace http::detail::refusals
