#include "coding/compress_response.hpp"

#include "coding/content_coding.hpp"
#include "files/file_content.hpp"
#include "proto/message/negotiate.hpp"
#include "proto/message/parameters.hpp"
#include "proto/message/serialize.hpp"
#include "proto/parser/char_class.hpp"

#include <unistd.h>

namespace http::detail {

namespace {

// A file's whole content, for compressing it; false if it cannot be read.
bool read_file(const FileContent& file, std::string& out) {
    if (file.parts.size() != 1 || !file.parts.front().from_file())
        return false;
    const FileContent::Part& part = file.parts.front();
    out.resize(part.length);
    std::size_t done = 0;
    while (done < part.length) {
        const ssize_t n = ::pread(file.fd(), out.data() + done, part.length - done, static_cast<off_t>(part.offset + done));
        if (n <= 0)
            return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace

bool is_compressible(std::string_view content_type) noexcept {
    std::string_view type = trim_ows(content_type.substr(0, content_type.find(';')));
    if (type.size() >= 5 && equals_lower(type.substr(0, 5), "text/"))
        return true;
    const std::size_t plus = type.rfind('+');
    if (plus != std::string_view::npos) {
        const std::string_view suffix = type.substr(plus + 1);
        if (equals_lower(suffix, "json") || equals_lower(suffix, "xml"))
            return true;
    }
    for (const std::string_view known : {"application/json", "application/javascript", "application/x-javascript",
                                         "application/xml", "application/wasm", "application/toml", "application/yaml"})
        if (iequals(type, known))
            return true;
    return false;
}

void compress_response(std::string_view accept_encoding, Response& res, std::size_t min_size) {
    if (response_has_no_content(res.status) || res.status == Status::PARTIAL_CONTENT || res.headers.contains("Content-Encoding"))
        return;
    const std::string_view type = res.headers.get("Content-Type", res.body.empty() ? "" : "text/plain");
    if (!is_compressible(type))
        return;
    const std::uint64_t size = res.file ? res.file->size() : res.body.size();
    if (size < min_size || (res.file && size > max_compressed_file))
        return;
    add_vary(res.headers, "Accept-Encoding");
    // No Accept-Encoding: RFC 9110 would allow any coding, but clients that send none (curl
    // without --compressed, scripts) cannot decode one: identity, as nginx does.
    if (trim_ows(accept_encoding).empty())
        return;
    const std::string_view coding = choose_coding(accept_encoding, available_codings());
    if (coding.empty())
        return;
    std::string content;
    if (res.file && !read_file(*res.file, content))
        return;  // sent from the file as it is
    std::string encoded = encode_content(res.file ? content : res.body, coding);
    if (encoded.size() >= size)
        return;
    res.body = std::move(encoded);
    res.file.reset();
    res.headers.set("Content-Encoding", std::string(coding));
    // The variant is another representation: its ETag differs from the identity one's.
    if (auto etag = res.headers.find("ETag"); etag != res.headers.end() && etag->second.ends_with('"'))
        etag->second.insert(etag->second.size() - 1, "-" + std::string(coding));
}

}  // namespace http::detail
