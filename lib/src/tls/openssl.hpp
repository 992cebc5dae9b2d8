// What the client's and the server's TLS share: the protocol settings both keep to, and
// OpenSSL's error queue as text for messages.
#pragma once

#include <string>

typedef struct ssl_ctx_st SSL_CTX;

namespace http::detail {

/// The settings every httpkit TLS context has, client or server: TLS 1.2 at least, no
/// renegotiation, partial writes from a buffer that may move between retries, and a peer that
/// closes without close_notify seen as the end of the stream.
void apply_common_tls_settings(SSL_CTX* context) noexcept;

/// The reasons in OpenSSL's error queue ("wrong version number; ..."), emptying it.
std::string openssl_errors();

}  // namespace http::detail
