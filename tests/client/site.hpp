// The nginx site the client tests talk to, started once per test process: static files, gzip
// and chunked responses, redirects, cookies, and one HTTPS server per certificate case.
#pragma once

#include "support/nginx.hpp"

#include <array>
#include <cstring>
#include <memory>
#include <random>
#include <string>

namespace test {

class Site {
public:
    static Site& get() {
        static Site site;
        return site;
    }

    std::string http(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(http_port) + path; }
    std::string other_origin(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(other_port) + path;
    }
    std::string https(const std::string& path, std::uint16_t port = 0, const std::string& host = "localhost") const {
        return "https://" + host + ":" + std::to_string(port ? port : https_port) + path;
    }
    std::string ca() const { return (dir.path() / "ca.pem").string(); }
    std::string file(const std::string& name) const { return (dir.path() / "www" / name).string(); }

    TempDir dir;
    std::string large;  // www/large.bin
    std::string text;   // www/text.txt, compressible
    // Six different ports: two server blocks on one port would leave one unheard (as once
    // happened: the self-signed one, and the TLS tests asked the CA-signed server instead).
    std::array<std::uint16_t, 6> ports = free_ports<6>();
    std::uint16_t http_port = ports[0];
    std::uint16_t other_port = ports[1];
    std::uint16_t https_port = ports[2];
    std::uint16_t wrong_name_port = ports[3];
    std::uint16_t expired_port = ports[4];
    std::uint16_t self_signed_port = ports[5];

private:
    Site() {
        const std::string d = dir.path().string();
        if (std::system(("sh " HTTPKIT_MAKE_CERTS " " + d).c_str()) != 0)
            throw std::runtime_error("make-certs.sh failed");
        std::filesystem::create_directory(dir.path() / "www");
        std::mt19937_64 random(42);
        large.resize(32 * 1024 * 1024);
        for (std::size_t i = 0; i < large.size(); i += 8) {
            const std::uint64_t r = random();
            std::memcpy(large.data() + i, &r, 8);
        }
        std::ofstream(dir.path() / "www" / "large.bin", std::ios::binary) << large;
        for (int i = 0; i < 20000; ++i)
            text += "line " + std::to_string(i) + " of a text that compresses well\n";
        std::ofstream(dir.path() / "www" / "text.txt", std::ios::binary) << text;
        std::ofstream(dir.path() / "www" / "small.txt") << "small file\n";
        std::filesystem::create_directory(dir.path() / "www" / "basic");
        std::ofstream(dir.path() / "www" / "basic" / "secret.txt") << "behind basic\n";
        std::ofstream(dir.path() / "htpasswd") << "user:{PLAIN}s3cret\n";

        const std::string tls_server = R"(
  server {
    listen 127.0.0.1:%PORT% ssl;
    ssl_certificate %DIR%/%NAME%.pem;
    ssl_certificate_key %DIR%/%NAME%.key;
    location = /hello { return 200 "secure"; }
    location = /connection { return 200 "$connection"; }
  })";
        auto tls = [&](std::uint16_t port, const std::string& name) {
            std::string block = tls_server;
            for (const auto& [key, value] : {std::pair<std::string, std::string>{"%PORT%", std::to_string(port)},
                                             {"%DIR%", d}, {"%NAME%", name}}) {
                for (std::size_t at; (at = block.find(key)) != std::string::npos;)
                    block.replace(at, key.size(), value);
            }
            return block;
        };
        const std::string config = R"(
  types { text/plain txt; application/octet-stream bin; }
  gzip on; gzip_types text/plain; gzip_min_length 1000;
  server {
    listen 127.0.0.1:)" + std::to_string(http_port) +
                                   R"(;
    root )" + d + R"(/www;
    location = /redirect/301 { return 301 /small.txt; }
    location = /redirect/302 { return 302 /small.txt; }
    location = /redirect/303 { return 303 /method; }
    location = /redirect/307 { return 307 /method; }
    location = /redirect/308 { return 308 /method; }
    location = /chain/1 { return 302 /chain/2; }
    location = /chain/2 { return 302 http://127.0.0.1:)" + std::to_string(http_port) +
                                   R"(/chain/3; }
    location = /chain/3 { return 301 ../small.txt; }
    location = /loop { return 302 /loop; }
    location = /method { return 200 "$request_method $content_length"; }
    location = /credentials { return 200 "$http_authorization|$http_cookie"; }
    location = /same-origin { return 302 /credentials; }
    location = /cross-origin { return 302 http://127.0.0.1:)" + std::to_string(other_port) +
                                   R"(/credentials; }
    location = /cookies { add_header Set-Cookie "a=1; Path=/"; add_header Set-Cookie "b=2; HttpOnly"; return 200 "cookies"; }
    location = /connection { return 200 "$connection"; }
    location = /agent { return 200 "$http_user_agent|$http_referer|$http_accept_encoding"; }
    location = /missing { return 404; }
    location /basic/ { auth_basic "httpkit"; auth_basic_user_file )" + d + R"(/htpasswd; }
  }
  server {
    listen 127.0.0.1:)" + std::to_string(other_port) +
                                   R"(;
    location = /credentials { return 200 "$http_authorization|$http_cookie"; }
  })" + tls(https_port, "localhost") +
                                   tls(wrong_name_port, "other") + tls(expired_port, "expired") +
                                   tls(self_signed_port, "self");
        nginx_ = std::make_unique<Nginx>(dir.path(), config,
                                         std::initializer_list<std::uint16_t>{http_port, other_port, https_port,
                                                                              wrong_name_port, expired_port,
                                                                              self_signed_port});
    }

    std::unique_ptr<Nginx> nginx_;
};

}  // namespace test
