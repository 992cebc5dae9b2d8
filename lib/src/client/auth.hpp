// Answering a server's 401 challenge (RFC 9110, Section 11): Basic (RFC 7617) and Digest
// (RFC 7616: SHA-256 and MD5, their -sess forms, qop=auth, nonce counting).
#pragma once

#include <http/client.hpp>

#include "proto/message/base64.hpp"
#include "proto/message/challenge.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace http::detail {

struct Credentials {
    std::string user;
    std::string password;
};

/// How a client authenticates to one origin, once it has seen the origin's challenge (or, for
/// Auth::basic, before).
class Authenticator {
public:
    /// Basic, sent without a challenge.
    static Authenticator basic();
    /// The strongest of `challenges` that `allowed` permits (Digest SHA-256, Digest MD5, Basic),
    /// or none usable.
    static std::optional<Authenticator> choose(const std::vector<Challenge>& challenges, Auth allowed);

    /// The Authorization field value for one request; each Digest answer counts the nonce up.
    std::string authorization(const Credentials& credentials, std::string_view method, std::string_view uri);
    /// A Digest challenge that says the nonce went stale: the same credentials, a new nonce.
    bool stale_with(const std::vector<Challenge>& challenges);
    bool is_digest() const noexcept { return digest_; }

private:
    bool digest_ = false;
    Challenge challenge_;
    std::string algorithm_;  // "MD5" or "SHA-256", without -sess
    bool session_ = false;   // an -sess algorithm
    bool qop_auth_ = false;  // qop=auth offered (else the RFC 2069 form)
    std::uint32_t count_ = 0;
    std::string cnonce_;
};


/// Every challenge of the response's WWW-Authenticate fields.
std::vector<Challenge> challenges_of(const Headers& headers);

}  // namespace http::detail
