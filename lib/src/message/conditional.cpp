#include <http/conditional.hpp>
#include <http/date.hpp>
#include <http/failure.hpp>

#include "proto/message/conditional.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace http {

void check_preconditions(const Request& req, std::string_view etag,
                         std::optional<std::chrono::system_clock::time_point> last_modified) {
    if (!etag.empty() && !detail::is_entity_tag(etag))
        throw std::invalid_argument("http::check_preconditions: " + std::string(etag) +
                                    " is not an entity-tag (\"...\" or W/\"...\", as strong_etag() makes)");
    switch (detail::evaluate_preconditions(req.method, req.headers, etag, last_modified)) {
    case detail::Precondition::proceed:
        return;
    case detail::Precondition::failed:
        throw PreconditionFailed();
    case detail::Precondition::not_modified: {
        // The validators of what the client holds go with the 304 (RFC 9110, Section 15.4.5).
        Headers validators;
        if (!etag.empty())
            validators.add("ETag", std::string(etag));
        if (last_modified)
            validators.add("Last-Modified", format_http_date(*last_modified));
        throw_failure(Status::NOT_MODIFIED, {}, std::move(validators));
    }
    }
}

std::string strong_etag(std::string_view content) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(content.data(), content.size(), digest, &length, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("http::strong_etag: SHA-256 failed");
    constexpr char hex[] = "0123456789abcdef";
    std::string tag = "\"";
    for (unsigned int i = 0; i < 16; ++i) {
        tag += hex[digest[i] >> 4];
        tag += hex[digest[i] & 15];
    }
    tag += '"';
    return tag;
}

}  // namespace http
