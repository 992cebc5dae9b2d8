// Response compression: which coding Accept-Encoding gets (RFC 9110, Section 12.5.3), what is
// never compressed, the size limits, Vary and the variant's ETag.
#include "coding/compress_response.hpp"
#include "coding/content_coding.hpp"
#include "files/file_content.hpp"

#include "reference.hpp"

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>

using namespace http::detail;

namespace {

http::Response text_response(std::size_t size = 4096) {
    http::Response res;
    res.content_type("text/plain; charset=utf-8");
    res.body = test::sample_text(size);
    return res;
}

// The coding compress_response() chose for `accept_encoding`, or "" for none; checks that what
// it sent decodes back.
std::string chosen(std::string_view accept_encoding, http::Response res = text_response()) {
    const std::string original = res.body;
    compress_response(accept_encoding, res, 1024);
    const std::string coding(res.headers.get("Content-Encoding"));
    if (coding.empty()) {
        BOOST_TEST(res.body == original);
    } else {
        BOOST_TEST(res.body.size() < original.size());
        BOOST_TEST(test::reference_decode(res.body, coding) == original);
    }
    return coding;
}

// The server's preference among what this build has: zstd, br, gzip.
std::string first_available() { return std::string(available_codings().front()); }
bool built(std::string_view coding) {
    for (const std::string_view c : available_codings())
        if (c == coding)
            return true;
    return false;
}

// An open temporary file of `size` bytes of text, as send_file() would hand it over.
std::shared_ptr<http::FileContent> text_file(std::size_t size) {
    char name[] = "/tmp/httpkit-coding-XXXXXX";
    const int fd = ::mkstemp(name);
    BOOST_REQUIRE(fd >= 0);
    ::unlink(name);
    const std::string text = test::sample_text(size);
    BOOST_REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    auto file = std::make_shared<http::FileContent>(fd);
    file->parts.push_back({.text = {}, .offset = 0, .length = size});
    return file;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(response_compression)

BOOST_AUTO_TEST_CASE(negotiation) {
    BOOST_TEST(chosen("gzip") == "gzip");
    BOOST_TEST(chosen("GZIP") == "gzip");  // codings are case-insensitive
    BOOST_TEST(chosen(" gzip ;q=1.0 ") == "gzip");
    // Equal qualities: the server's preference; "*" stands for the rest.
    BOOST_TEST(chosen("gzip, br, zstd") == first_available());
    BOOST_TEST(chosen("*") == first_available());
    BOOST_TEST(chosen("*;q=0.5, gzip;q=0.8") == "gzip");
    BOOST_TEST(chosen("br;q=0.9, gzip;q=0.5, identity;q=0.1") == (built("br") ? "br" : "gzip"));
    BOOST_TEST(chosen("zstd;q=0.1, gzip;q=0.2, identity;q=0") == "gzip");
    // identity unlisted is acceptable (RFC 9110, Section 12.5.3) and taken as q=1 here: codings
    // all offered below 1 lose to it.
    BOOST_TEST(chosen("br;q=0.9, gzip;q=0.5") == "");
    // Not acceptable: q=0, a malformed q (taken as 0), codings not built, deflate (never sent).
    BOOST_TEST(chosen("gzip;q=0") == "");
    BOOST_TEST(chosen("gzip;q=abc") == "");
    BOOST_TEST(chosen("gzip;q=1.5") == "");
    BOOST_TEST(chosen("deflate, compress") == "");
    BOOST_TEST(chosen("*;q=0") == "");
    // identity preferred to every coding offered: none; identity refused but nothing else
    // acceptable: sent as it is all the same (as nginx does), not a 406.
    BOOST_TEST(chosen("identity, gzip;q=0.5") == "");
    BOOST_TEST(chosen("identity;q=0.1, gzip;q=0.5") == "gzip");
    BOOST_TEST(chosen("identity;q=0, *;q=0") == "");
    // No Accept-Encoding: identity, as clients that send none cannot decode (curl, scripts).
    BOOST_TEST(chosen("") == "");
    BOOST_TEST(chosen("   ") == "");
    // Garbage is survived, never a crash or a coding nobody asked for.
    BOOST_TEST(chosen(",,;;==q,") == "");
    BOOST_TEST(chosen(std::string(10000, ',') + "gzip") == "gzip");
}

BOOST_AUTO_TEST_CASE(what_is_never_compressed) {
    auto untouched = [](http::Response res, bool vary) {
        const std::string body = res.body;
        const std::string etag(res.headers.get("ETag"));
        compress_response("gzip, br, zstd", res, 1024);
        BOOST_TEST(res.body == body);
        BOOST_TEST(res.headers.get("ETag") == etag);
        BOOST_TEST(res.headers.contains("Vary") == vary);
        return res;
    };
    for (const http::Status status : {http::NO_CONTENT, http::NOT_MODIFIED, http::PARTIAL_CONTENT}) {
        http::Response res = text_response();
        res.status = status;
        untouched(res, false);
    }
    http::Response encoded = text_response();
    encoded.headers["Content-Encoding"] = "gzip";
    BOOST_TEST(untouched(encoded, false).headers.get("Content-Encoding") == "gzip");
    for (const char* type : {"image/png", "application/octet-stream", "video/mp4", "application/zip"}) {
        http::Response res = text_response();
        res.content_type(type);
        untouched(res, false);
    }
    // Content that would not shrink goes as it is, but a cache must still keep the variants apart.
    http::Response random = text_response();
    std::srand(7);
    for (char& c : random.body)
        c = static_cast<char>(std::rand());
    untouched(random, true);
}

BOOST_AUTO_TEST_CASE(minimum_size_at_and_past) {
    http::Response at = text_response(1024);
    compress_response("gzip", at, 1024);
    BOOST_TEST(at.headers.get("Content-Encoding") == "gzip");
    http::Response below = text_response(1023);
    compress_response("gzip", below, 1024);
    BOOST_TEST(!below.headers.contains("Content-Encoding"));
    BOOST_TEST(!below.headers.contains("Vary"));
    // A body with no Content-Type is text/plain, as the server sends it.
    http::Response untyped;
    untyped.body = test::sample_text(2048);
    compress_response("gzip", untyped, 1024);
    BOOST_TEST(untyped.headers.get("Content-Encoding") == "gzip");
}

BOOST_AUTO_TEST_CASE(files_up_to_1_mib_at_and_past) {
    BOOST_TEST(max_compressed_file == 1024u * 1024);
    http::Response at = text_response(0);
    at.file = text_file(max_compressed_file);
    compress_response("gzip", at, 1024);
    BOOST_TEST(at.headers.get("Content-Encoding") == "gzip");
    BOOST_TEST(!at.file);  // the body is the compressed content now
    BOOST_TEST(test::reference_decode(at.body, "gzip") == test::sample_text(max_compressed_file));
    http::Response past = text_response(0);
    past.file = text_file(max_compressed_file + 1);
    compress_response("gzip", past, 1024);
    BOOST_TEST(!past.headers.contains("Content-Encoding"));
    BOOST_TEST(past.file != nullptr);  // sent from the file, with sendfile
    BOOST_TEST(past.body.empty());
}

BOOST_AUTO_TEST_CASE(vary_and_the_variants_etag) {
    http::Response res = text_response();
    res.headers["Vary"] = "Origin";
    res.headers["ETag"] = "\"abc\"";
    compress_response("gzip", res, 1024);
    BOOST_TEST(res.headers.get("Vary") == "Origin, Accept-Encoding");
    BOOST_TEST(res.headers.get("ETag") == "\"abc-gzip\"");
    http::Response weak = text_response();
    weak.headers["ETag"] = "W/\"v1\"";
    weak.headers["Vary"] = "accept-encoding";
    compress_response("gzip", weak, 1024);
    BOOST_TEST(weak.headers.get("ETag") == "W/\"v1-gzip\"");
    BOOST_TEST(weak.headers.get("Vary") == "accept-encoding");  // already there: not twice
    http::Response star = text_response();
    star.headers["Vary"] = "*";
    compress_response("gzip", star, 1024);
    BOOST_TEST(star.headers.get("Vary") == "*");
    // An identity response to a client that sends no Accept-Encoding still says it varies.
    http::Response plain = text_response();
    plain.headers["ETag"] = "\"abc\"";
    compress_response("", plain, 1024);
    BOOST_TEST(plain.headers.get("Vary") == "Accept-Encoding");
    BOOST_TEST(plain.headers.get("ETag") == "\"abc\"");
}

BOOST_AUTO_TEST_CASE(compressible_types) {
    for (const char* type : {"text/html", "TEXT/CSS; charset=utf-8", "application/json", "application/problem+json",
                             "image/svg+xml", "application/javascript", "application/wasm", "application/xml",
                             "application/vnd.api+json; charset=utf-8"})
        BOOST_TEST(is_compressible(type), type);
    for (const char* type : {"", "image/png", "application/octet-stream", "application/gzip", "font/woff2",
                             "application/jsonx", "text", "application/x-json-ish"})
        BOOST_TEST(!is_compressible(type), type);
}

BOOST_AUTO_TEST_SUITE_END()
