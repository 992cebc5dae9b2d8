#include "client/auth.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdio>
#include <stdexcept>

namespace http::detail {

namespace {

std::string hex_digest(const std::string& algorithm, std::string_view data) {
    const EVP_MD* md = algorithm == "SHA-256" ? EVP_sha256() : EVP_md5();
    unsigned char hash[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), hash, &length, md, nullptr) != 1)
        throw std::runtime_error("httpkit: " + algorithm + " is not available");
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < length; ++i) {
        hex += digits[hash[i] >> 4];
        hex += digits[hash[i] & 15];
    }
    return hex;
}

std::string quote(std::string_view value) {
    std::string out = "\"";
    for (const char c : value) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + '"';
}

bool lists(std::string_view list, std::string_view item) {
    while (!list.empty()) {
        const std::size_t comma = list.find(',');
        std::string_view element = list.substr(0, comma);
        while (!element.empty() && element.front() == ' ')
            element.remove_prefix(1);
        while (!element.empty() && element.back() == ' ')
            element.remove_suffix(1);
        if (element == item)
            return true;
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    }
    return false;
}

}  // namespace


Authenticator Authenticator::basic() { return Authenticator(); }

std::vector<Challenge> challenges_of(const Headers& headers) {
    std::vector<Challenge> all;
    for (const std::string_view value : headers.get_all("WWW-Authenticate"))
        for (Challenge& challenge : parse_challenges(value))
            all.push_back(std::move(challenge));
    return all;
}

std::optional<Authenticator> Authenticator::choose(const std::vector<Challenge>& challenges, Auth allowed) {
    std::optional<Authenticator> best;
    int best_rank = 0;
    for (const Challenge& challenge : challenges) {
        if (challenge.scheme == "digest" && allowed != Auth::basic) {
            Authenticator candidate;
            candidate.digest_ = true;
            candidate.challenge_ = challenge;
            std::string algorithm(challenge.param("algorithm"));
            for (char& c : algorithm)
                c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
            if (algorithm.empty())
                algorithm = "MD5";
            if (algorithm.ends_with("-SESS")) {
                candidate.session_ = true;
                algorithm.resize(algorithm.size() - 5);
            }
            if (algorithm != "MD5" && algorithm != "SHA-256")
                continue;  // SHA-512-256 and others: not offered by this client
            const std::string_view qop = challenge.param("qop");
            if (!qop.empty() && !lists(qop, "auth"))
                continue;  // auth-int only
            candidate.qop_auth_ = !qop.empty();
            if (challenge.param("nonce").empty())
                continue;
            candidate.algorithm_ = algorithm;
            const int rank = algorithm == "SHA-256" ? 3 : 2;
            if (rank > best_rank) {
                best = std::move(candidate);
                best_rank = rank;
            }
        } else if (challenge.scheme == "basic" && allowed != Auth::digest && best_rank < 1) {
            best = Authenticator();
            best_rank = 1;
        }
    }
    return best;
}

bool Authenticator::stale_with(const std::vector<Challenge>& challenges) {
    if (!digest_)
        return false;
    for (const Challenge& challenge : challenges) {
        if (challenge.scheme != "digest")
            continue;
        std::string_view stale = challenge.param("stale");
        if (stale.size() == 4 && (stale[0] == 't' || stale[0] == 'T')) {
            challenge_ = challenge;
            count_ = 0;
            return true;
        }
    }
    return false;
}

std::string Authenticator::authorization(const Credentials& credentials, std::string_view method, std::string_view uri) {
    if (!digest_)
        return "Basic " + base64(credentials.user + ":" + credentials.password);
    const std::string realm(challenge_.param("realm"));
    const std::string nonce(challenge_.param("nonce"));
    if (count_ == 0 || cnonce_.empty()) {
        unsigned char random[16];
        if (RAND_bytes(random, sizeof random) != 1)
            throw std::runtime_error("httpkit: no random bytes for a Digest cnonce");
        cnonce_.clear();
        for (const unsigned char byte : random) {
            static constexpr char digits[] = "0123456789abcdef";
            cnonce_ += digits[byte >> 4];
            cnonce_ += digits[byte & 15];
        }
    }
    ++count_;
    char nc[9];
    std::snprintf(nc, sizeof nc, "%08x", count_);
    std::string ha1 = hex_digest(algorithm_, credentials.user + ":" + realm + ":" + credentials.password);
    if (session_)
        ha1 = hex_digest(algorithm_, ha1 + ":" + nonce + ":" + cnonce_);
    const std::string ha2 = hex_digest(algorithm_, std::string(method) + ":" + std::string(uri));
    const std::string response = qop_auth_ ? hex_digest(algorithm_, ha1 + ":" + nonce + ":" + nc + ":" + cnonce_ + ":auth:" + ha2)
                                           : hex_digest(algorithm_, ha1 + ":" + nonce + ":" + ha2);
    std::string value = "Digest username=" + quote(credentials.user) + ", realm=" + quote(realm) +
                        ", nonce=" + quote(nonce) + ", uri=" + quote(uri) + ", algorithm=" + algorithm_ +
                        (session_ ? "-sess" : "") + ", response=\"" + response + "\"";
    if (qop_auth_)
        value += ", qop=auth, nc=" + std::string(nc) + ", cnonce=\"" + cnonce_ + "\"";
    if (const std::string_view opaque = challenge_.param("opaque"); !opaque.empty())
        value += ", opaque=" + quote(opaque);
    return value;
}

}  // namespace http::detail
