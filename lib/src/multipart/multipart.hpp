// multipart/form-data bodies (RFC 7578, on the syntax of RFC 2046, Section 5.1.1).
#pragma once

#include "parser/request_parser.hpp"

#include <http/request.hpp>

#include <cstddef>
#include <string_view>

namespace http::detail {

struct MultipartLimits {
    std::size_t max_parts = 1000;
    std::size_t max_part_header_size = 8 * 1024;
};

/// Splits `body` on `boundary` (the Content-Type parameter) into form fields and uploaded files
/// (parts with a filename). Returns false, with `error` naming the problem, when the body is
/// not well-formed multipart data.
bool parse_multipart(std::string_view body, std::string_view boundary, Fields& form,
                     std::map<std::string, UploadedFile, std::less<>>& files, ParseError& error,
                     const MultipartLimits& limits = {});

}  // namespace http::detail
