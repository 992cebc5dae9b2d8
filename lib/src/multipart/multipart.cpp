#include "multipart/multipart.hpp"

#include "common/parameters.hpp"

#include <http/headers.hpp>

#include <string>
#include <vector>

namespace http::detail {

bool parse_multipart(std::string_view body, std::string_view boundary, Fields& form,
                     std::map<std::string, UploadedFile, std::less<>>& files, ParseError& error,
                     const MultipartLimits& limits) {
    auto fail = [&error](std::string_view reason) {
        error = {Status::BAD_REQUEST, reason};
        return false;
    };
    if (boundary.empty() || boundary.size() > 70)
        return fail("multipart boundary must be 1 to 70 characters");

    const std::string delimiter = "\r\n--" + std::string(boundary);
    // The first delimiter may open the body, without the CRLF before it.
    std::size_t pos;
    if (body.substr(0, delimiter.size() - 2) == std::string_view(delimiter).substr(2)) {
        pos = delimiter.size() - 2;
    } else {
        pos = body.find(delimiter);
        if (pos == std::string_view::npos)
            return fail("multipart body has no boundary");
        pos += delimiter.size();
    }

    std::size_t parts = 0;
    std::vector<Field> headers;
    while (true) {
        // After a delimiter: "--" closes the body; otherwise optional padding and CRLF.
        if (body.substr(pos, 2) == "--")
            return true;
        while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t'))
            ++pos;
        if (body.substr(pos, 2) != "\r\n")
            return fail("malformed multipart boundary line");
        pos += 2;
        if (++parts > limits.max_parts)
            return fail("too many multipart parts");

        // Part headers end with an empty line (none at all is allowed).
        std::size_t headers_end;
        if (body.substr(pos, 2) == "\r\n") {
            headers_end = pos + 2;
        } else {
            const std::size_t blank = body.find("\r\n\r\n", pos);
            if (blank == std::string_view::npos)
                return fail("multipart part headers do not end");
            headers_end = blank + 4;
        }
        if (headers_end - pos > limits.max_part_header_size)
            return fail("multipart part headers too large");
        headers.clear();
        if (headers_end - pos > 2 &&
            !parse_field_lines(body.substr(pos, headers_end - pos), headers, 100, error))
            return false;

        const std::size_t next = body.find(delimiter, headers_end);
        if (next == std::string_view::npos)
            return fail("multipart body ends without its closing boundary");
        const std::string_view content = body.substr(headers_end, next - headers_end);
        pos = next + delimiter.size();

        std::string_view disposition;
        std::string_view content_type = "text/plain";
        for (const Field& h : headers) {
            if (iequals(h.name, "content-disposition"))
                disposition = h.value;
            else if (iequals(h.name, "content-type"))
                content_type = h.value;
        }
        const ParameterizedValue parsed = parse_parameterized(disposition);
        const std::string* name = parsed.find("name");
        if (!iequals(parsed.value, "form-data") || !name)
            return fail("multipart part without Content-Disposition: form-data; name=...");
        if (const std::string* filename = parsed.find("filename"))
            files.insert_or_assign(*name, UploadedFile{*filename, std::string(content_type), std::string(content)});
        else
            form.insert_or_assign(*name, std::string(content));
    }
}

}  // namespace http::detail
