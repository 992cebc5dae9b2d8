#include "tls/openssl.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <string_view>

namespace http::detail {

void apply_common_tls_settings(SSL_CTX* context) noexcept {
    SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
    SSL_CTX_set_options(context, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_mode(context, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}

std::string openssl_errors() {
    std::string text;
    while (const unsigned long code = ERR_get_error()) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof buffer);
        // "error:0A00010B:SSL routines::wrong version number" -> "wrong version number"
        const std::string_view line = buffer;
        const std::size_t reason = line.rfind(':');
        if (!text.empty())
            text += "; ";
        text += reason == std::string_view::npos ? line : line.substr(reason + 1);
    }
    return text;
}

}  // namespace http::detail
