#include "server/tls.hpp"

#include "tls/openssl.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cerrno>
#include <new>
#include <cstring>
#include <stdexcept>

namespace http::detail {

namespace {

// TLS 1.2's suites: forward secrecy and AEAD only (Mozilla's "intermediate" list, without the
// finite-field Diffie-Hellman ones). TLS 1.3's are OpenSSL's defaults, all of them fine.
constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// The application protocols the server speaks, in ALPN's wire format, most preferred first.
constexpr std::string_view with_http2("\x02h2\x08http/1.1", 12);
constexpr std::string_view http1_only("\x08http/1.1", 9);

int select_alpn(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* offered,
                unsigned int offered_length, void* argument) {
    const std::string_view ours = *static_cast<const std::string_view*>(argument);
    unsigned char* chosen = nullptr;
    unsigned char length = 0;
    if (SSL_select_next_proto(&chosen, &length, reinterpret_cast<const unsigned char*>(ours.data()),
                              static_cast<unsigned>(ours.size()), offered, offered_length) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_ALERT_FATAL;  // no_application_protocol (RFC 7301, Section 3.2)
    *out = chosen;
    *out_length = length;
    return SSL_TLSEXT_ERR_OK;
}

// An encrypted private key would make OpenSSL ask for its passphrase on the terminal: refuse it.
int no_passphrase(char*, int, int, void*) { return 0; }

[[noreturn]] void refuse(const std::string& what, const std::string& path, const std::string& why) {
    throw std::runtime_error("httpkit: the TLS " + what + " '" + path + "' " + why);
}

void check_readable(const std::string& what, const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        refuse(what, path, std::string("cannot be read: ") + std::strerror(errno));
    ::close(fd);
}

// --- The session's BIO: the socket, through send(MSG_NOSIGNAL) and recv -----------------------

TlsSession::Socket& socket_of(BIO* bio) { return *static_cast<TlsSession::Socket*>(BIO_get_data(bio)); }

int bio_write(BIO* bio, const char* data, int size) {
    BIO_clear_retry_flags(bio);
    ssize_t n;
    do {
        n = ::send(socket_of(bio).fd, data, static_cast<std::size_t>(size), MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        BIO_set_retry_write(bio);
    return static_cast<int>(n);
}

int bio_read(BIO* bio, char* data, int size) {
    BIO_clear_retry_flags(bio);
    TlsSession::Socket& socket = socket_of(bio);
    if (socket.early_read < socket.early.size()) {
        const std::size_t n = std::min(static_cast<std::size_t>(size), socket.early.size() - socket.early_read);
        std::memcpy(data, socket.early.data() + socket.early_read, n);
        socket.early_read += n;
        if (socket.early_read == socket.early.size()) {
            std::string().swap(socket.early);
            socket.early_read = 0;
        }
        return static_cast<int>(n);
    }
    ssize_t n;
    do {
        n = ::recv(socket.fd, data, static_cast<std::size_t>(size), 0);
    } while (n < 0 && errno == EINTR);
    socket.drained = n < size;
    if (n == 0)
        socket.eof = true;
    else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        BIO_set_retry_read(bio);
    return static_cast<int>(n);
}

long bio_ctrl(BIO* bio, int command, long, void*) {
    switch (command) {
    case BIO_CTRL_FLUSH:
        return 1;  // nothing is buffered here
    case BIO_CTRL_EOF:
        return socket_of(bio).eof ? 1 : 0;  // how OpenSSL tells the peer's end from an error
    default:
        return 0;
    }
}

int bio_create(BIO* bio) {
    BIO_set_init(bio, 1);
    return 1;
}

BIO_METHOD* socket_method() {
    static BIO_METHOD* const method = [] {
        BIO_METHOD* made = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "httpkit socket");
        if (made) {
            BIO_meth_set_write(made, bio_write);
            BIO_meth_set_read(made, bio_read);
            BIO_meth_set_ctrl(made, bio_ctrl);
            BIO_meth_set_create(made, bio_create);
        }
        return made;
    }();
    return method;
}

}  // namespace

// --- ServerTls ---------------------------------------------------------------------------------

ServerTls::ServerTls(std::string certificate, std::string private_key, bool http2)
    : certificate_(std::move(certificate)), private_key_(std::move(private_key)), http2_(http2) {
    if (RAND_bytes(ticket_keys_.data(), static_cast<int>(ticket_keys_.size())) != 1)
        throw std::runtime_error("httpkit: no random bytes for TLS session tickets: " + openssl_errors());
    context_ = load();
}

ServerTls::~ServerTls() { SSL_CTX_free(context_); }

void ServerTls::reload() {
    SSL_CTX* const fresh = load();
    SSL_CTX* old;
    {
        const std::lock_guard lock(mutex_);
        old = context_;
        context_ = fresh;
    }
    SSL_CTX_free(old);  // open sessions hold their own reference to it
}

SSL_CTX* ServerTls::load() const {
    check_readable("certificate", certificate_);
    check_readable("private key", private_key_);
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
    if (!context)
        throw std::runtime_error("httpkit: cannot make a TLS context: " + openssl_errors());
    SSL_CTX* const c = context.get();
    apply_common_tls_settings(c);
    // An idle connection gives its 16 KiB read and write buffers back; reads take what the
    // socket has, not a record header and then its body.
    SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_read_ahead(c, 1);
    SSL_CTX_set_cipher_list(c, tls12_ciphers);
    SSL_CTX_set_default_passwd_cb(c, no_passphrase);
    SSL_CTX_set_alpn_select_cb(c, select_alpn, const_cast<std::string_view*>(http2_ ? &with_http2 : &http1_only));
    static constexpr unsigned char session_context[] = "httpkit";
    SSL_CTX_set_session_id_context(c, session_context, sizeof session_context - 1);
    SSL_CTX_set_tlsext_ticket_keys(c, const_cast<unsigned char*>(ticket_keys_.data()), ticket_keys_.size());

    if (SSL_CTX_use_certificate_chain_file(c, certificate_.c_str()) != 1)
        refuse("certificate", certificate_, "holds no usable PEM certificate: " + openssl_errors());
    const std::unique_ptr<BIO, decltype(&BIO_free)> key_file(BIO_new_file(private_key_.c_str(), "r"), BIO_free);
    const std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        key_file ? PEM_read_bio_PrivateKey(key_file.get(), nullptr, no_passphrase, nullptr) : nullptr, EVP_PKEY_free);
    if (!key)
        refuse("private key", private_key_, "holds no usable PEM private key (an encrypted one is not read): " +
                                                openssl_errors());
    if (SSL_CTX_use_PrivateKey(c, key.get()) != 1 || SSL_CTX_check_private_key(c) != 1) {
        ERR_clear_error();
        refuse("private key", private_key_, "does not match the certificate '" + certificate_ + "'");
    }
    return context.release();
}

std::unique_ptr<TlsSession> ServerTls::accept(int fd) {
    SSL* ssl;
    {
        const std::lock_guard lock(mutex_);
        ssl = SSL_new(context_);
    }
    if (!ssl || !socket_method()) {
        SSL_free(ssl);
        ERR_clear_error();
        return nullptr;
    }
    return std::make_unique<TlsSession>(ssl, fd);
}

// --- TlsSession --------------------------------------------------------------------------------

TlsSession::TlsSession(SSL* ssl, int fd) noexcept : ssl_(ssl), socket_{} {
    socket_.fd = fd;
    // Without its BIO (out of memory) the session fails its handshake.
    if (BIO* const bio = BIO_new(socket_method())) {
        BIO_set_data(bio, &socket_);
        SSL_set_bio(ssl_, bio, bio);
    }
    SSL_set_accept_state(ssl_);
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

TlsSession::Handshake TlsSession::handshake() noexcept {
    const int result = SSL_do_handshake(ssl_);
    if (result == 1)
        return Handshake::done;
    switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_WANT_READ:
        return Handshake::want_read;
    case SSL_ERROR_WANT_WRITE:
        return Handshake::want_write;
    default: {
        broken_ = true;
        const bool plain_http = ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_HTTP_REQUEST;
        ERR_clear_error();  // the queue is the thread's: another connection must not see this
        return plain_http ? Handshake::plain_http : Handshake::failed;
    }
    }
}

std::string_view TlsSession::alpn() const noexcept {
    const unsigned char* protocol = nullptr;
    unsigned int length = 0;
    SSL_get0_alpn_selected(ssl_, &protocol, &length);
    return protocol ? std::string_view(reinterpret_cast<const char*>(protocol), length) : std::string_view();
}

ssize_t TlsSession::read(char* buffer, std::size_t size) noexcept {
    read_wants_write_ = false;
    std::size_t got = 0;
    const int result = SSL_read_ex(ssl_, buffer, size, &got);
    return result == 1 ? static_cast<ssize_t>(got) : fail(result);
}

ssize_t TlsSession::write(const iovec* buffers, int count) noexcept {
    std::size_t total = 0;
    for (int i = 0; i < count; ++i) {
        if (buffers[i].iov_len == 0)
            continue;
        std::size_t done = 0;
        const int result = SSL_write_ex(ssl_, buffers[i].iov_base, buffers[i].iov_len, &done);
        if (result != 1) {
            ssize_t failed = fail(result);
            if (failed == 0) {
                errno = EPIPE;  // the peer's close_notify: a write cannot go on
                failed = -1;
            }
            // What went out before counts; the rest is offered again by the next call.
            return total > 0 ? static_cast<ssize_t>(total) : failed;
        }
        total += done;
        if (done < buffers[i].iov_len)
            break;  // one record went out, the socket may take no more
    }
    return static_cast<ssize_t>(total);
}

ssize_t TlsSession::send_file(int file, off_t offset, std::size_t count) noexcept {
    constexpr std::size_t chunk_capacity = 64 * 1024;
    if (!chunk_ || file != chunk_file_ || offset != chunk_offset_ + static_cast<off_t>(chunk_sent_)) {
        // A new piece of the file (a retry after EAGAIN offers the same offset, and finds it here).
        if (!chunk_)
            chunk_.reset(new (std::nothrow) char[chunk_capacity]);
        if (!chunk_) {
            errno = ENOMEM;
            return -1;
        }
        const ssize_t n = ::pread(file, chunk_.get(), std::min(count, chunk_capacity), offset);
        if (n <= 0)
            return n;
        chunk_size_ = static_cast<std::size_t>(n);
        chunk_sent_ = 0;
        chunk_file_ = file;
        chunk_offset_ = offset;
    }
    const iovec rest{chunk_.get() + chunk_sent_, std::min(count, chunk_size_ - chunk_sent_)};
    const ssize_t n = write(&rest, 1);
    if (n > 0) {
        chunk_sent_ += static_cast<std::size_t>(n);
        if (chunk_sent_ == chunk_size_)
            chunk_.reset();  // the buffer is not kept between pieces of a response
    }
    return n;
}

ssize_t TlsSession::fail(int result) noexcept {
    switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    case SSL_ERROR_WANT_READ:
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_WANT_WRITE:
        read_wants_write_ = true;
        errno = EAGAIN;
        return -1;
    default:
        broken_ = true;
        ERR_clear_error();
        errno = ECONNRESET;
        return -1;
    }
}

bool TlsSession::readable() const noexcept {
    return !socket_.drained || !socket_.early.empty() || SSL_has_pending(ssl_) == 1;
}

void TlsSession::close_notify() noexcept {
    if (broken_ || notified_ || SSL_is_init_finished(ssl_) != 1)
        return;
    notified_ = true;
    SSL_shutdown(ssl_);
    ERR_clear_error();
}

}  // namespace http::detail
