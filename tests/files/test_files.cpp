// Static files over real sockets: validators, conditional and range requests (with curl and
// Python's http.client as clients), directories, and every way out of the root refused.
#include <http/router.hpp>
#include <http/server.hpp>

#include "files/send_file.hpp"
#include "support/process.hpp"
#include "support/nginx.hpp"
#include "support/raw_connection.hpp"
#include "support/test_server.hpp"

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/stat.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>

namespace fs = std::filesystem;

namespace {

using test::run;

void write_file(const fs::path& path, std::string_view content) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
}

std::string digits(std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i)
        s += static_cast<char>('0' + i % 10);
    return s;
}

std::size_t open_descriptors() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator("/proc/self/fd"))
        ++n;
    return n;
}

struct Fixture {
    test::TempDir dir;
    fs::path root = dir.path() / "public";
    std::string big = digits(200000);
    test::TestServer server{[this](http::Server& s) {
        write_file(root / "index.html", "<h1>home</h1>");
        write_file(root / "data.txt", "0123456789abcdefghij");
        write_file(root / "big.bin", big);
        write_file(root / "style.css", "body{}");
        write_file(root / "empty.txt", "");
        write_file(root / "sub" / "a b.txt", "spaced");
        write_file(root / "list" / "one.txt", "1");
        write_file(root / "list" / "<two>.txt", "2");
        write_file(root / "list" / ".hidden", "h");
        write_file(root / ".env", "SECRET=1");
        write_file(dir.path() / "outside.txt", "outside");
        fs::create_symlink(dir.path() / "outside.txt", root / "escape.txt");
        fs::create_symlink(root / "data.txt", root / "alias.txt");
        http::Router router;
        router.files("/static", root);
        router.files("/browse", root, {.list_directories = true});
        s.on_receive(router);
    }};
    std::string url(std::string_view path) { return "http://127.0.0.1:" + std::to_string(server.port()) + std::string(path); }
    test::RawResponse get(std::string_view path, std::string_view extra = {}) {
        return test::exchange(server.port(), test::get(path, extra));
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(files, Fixture)

BOOST_AUTO_TEST_CASE(a_file_with_its_validators) {
    const auto r = get("/static/data.txt");
    BOOST_TEST(r.status == 200);
    BOOST_TEST(r.body == "0123456789abcdefghij");
    BOOST_TEST(r.header("Content-Type") == "text/plain; charset=utf-8");
    BOOST_TEST(r.header("Accept-Ranges") == "bytes");
    BOOST_TEST(r.header("ETag").starts_with("\""));
    BOOST_TEST(r.header("Last-Modified").ends_with(" GMT"));
    BOOST_TEST(get("/static/style.css").header("Content-Type") == "text/css; charset=utf-8");
    BOOST_TEST(get("/static/sub/a%20b.txt").body == "spaced");
    BOOST_TEST(get("/static/alias.txt").body == "0123456789abcdefghij");  // a link inside the root
    const auto empty = get("/static/empty.txt");
    BOOST_TEST(empty.status == 200);
    BOOST_TEST(empty.header("Content-Length") == "0");
    const auto big_file = get("/static/big.bin");  // sent from the file, past the inline limit
    BOOST_TEST(big_file.body == big);
    BOOST_TEST(big_file.header("Content-Type") == "application/octet-stream");
    const auto head = test::exchange(server.port(), "HEAD /static/big.bin HTTP/1.1\r\nHost: h\r\n\r\n", true);
    BOOST_TEST(head.header("Content-Length") == "200000");
    BOOST_TEST(head.body.empty());
}

BOOST_AUTO_TEST_CASE(a_changed_file_changes_its_etag) {
    const std::string before = get("/static/data.txt").header("ETag");
    write_file(root / "data.txt", "0123456789abcdefghiJ");  // same size
    struct timespec times[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
    ::utimensat(AT_FDCWD, (root / "data.txt").c_str(), times, 0);
    const auto after = get("/static/data.txt");
    BOOST_TEST(after.body == "0123456789abcdefghiJ");
    BOOST_TEST(after.header("ETag") != before);
}

BOOST_AUTO_TEST_CASE(conditional_requests_in_the_rfcs_order) {
    const auto first = get("/static/data.txt");
    const std::string etag = first.header("ETag");
    const std::string modified = first.header("Last-Modified");
    // If-None-Match: 304 with the validators and no content fields.
    const auto not_modified = get("/static/data.txt", "If-None-Match: \"other\", " + etag + "\r\n");
    BOOST_TEST(not_modified.status == 304);
    BOOST_TEST(not_modified.header("ETag") == etag);
    BOOST_TEST(not_modified.header("Content-Length") == "<absent>");
    BOOST_TEST(get("/static/data.txt", "If-None-Match: W/" + etag + "\r\n").status == 304);  // weak comparison
    BOOST_TEST(get("/static/data.txt", "If-None-Match: *\r\n").status == 304);
    BOOST_TEST(get("/static/data.txt", "If-None-Match: \"other\"\r\n").status == 200);
    // If-Modified-Since, and If-None-Match taking precedence over it.
    BOOST_TEST(get("/static/data.txt", "If-Modified-Since: " + modified + "\r\n").status == 304);
    BOOST_TEST(get("/static/data.txt", "If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT\r\n").status == 200);
    BOOST_TEST(get("/static/data.txt", "If-None-Match: \"other\"\r\nIf-Modified-Since: " + modified + "\r\n").status == 200);
    // If-Match and If-Unmodified-Since: 412, and before If-None-Match.
    BOOST_TEST(get("/static/data.txt", "If-Match: \"other\"\r\n").status == 412);
    BOOST_TEST(get("/static/data.txt", "If-Match: W/" + etag + "\r\n").status == 412);  // strong comparison
    BOOST_TEST(get("/static/data.txt", "If-Match: " + etag + "\r\n").status == 200);
    BOOST_TEST(get("/static/data.txt", "If-Unmodified-Since: Sat, 01 Jan 2000 00:00:00 GMT\r\n").status == 412);
    BOOST_TEST(get("/static/data.txt", "If-Match: \"other\"\r\nIf-None-Match: " + etag + "\r\n").status == 412);
    // curl -z sends If-Modified-Since from a date.
    BOOST_TEST(run("curl -s -o /dev/null -w '%{http_code}' -z '" + modified + "' " + url("/static/data.txt")) == "304");
    BOOST_TEST(run("curl -s -o /dev/null -w '%{http_code}' -z 'Sat, 01 Jan 2000 00:00:00 GMT' " + url("/static/data.txt")) == "200");
}

BOOST_AUTO_TEST_CASE(ranges) {
    const auto one = get("/static/data.txt", "Range: bytes=2-5\r\n");
    BOOST_TEST(one.status == 206);
    BOOST_TEST(one.body == "2345");
    BOOST_TEST(one.header("Content-Range") == "bytes 2-5/20");
    BOOST_TEST(get("/static/data.txt", "Range: bytes=-3\r\n").body == "hij");
    BOOST_TEST(get("/static/data.txt", "Range: bytes=18-\r\n").body == "ij");
    BOOST_TEST(get("/static/data.txt", "Range: bytes=15-99\r\n").header("Content-Range") == "bytes 15-19/20");
    const auto unsatisfiable = get("/static/data.txt", "Range: bytes=20-30\r\n");
    BOOST_TEST(unsatisfiable.status == 416);
    BOOST_TEST(unsatisfiable.header("Content-Range") == "bytes */20");
    BOOST_TEST(get("/static/data.txt", "Range: bytes=5-2\r\n").status == 200);   // malformed: ignored
    BOOST_TEST(get("/static/data.txt", "Range: pages=1-2\r\n").status == 200);   // another unit: ignored
    BOOST_TEST(get("/static/data.txt", "Range: bytes=0-1,3-4,6-7\r\n").header("Content-Type").starts_with(
        "multipart/byteranges; boundary="));
    // From the file, past the inline limit: one range of the 200,000 bytes.
    BOOST_TEST(get("/static/big.bin", "Range: bytes=100000-100009\r\n").body == big.substr(100000, 10));
    // curl -r.
    BOOST_TEST(run("curl -s -r 10-14 " + url("/static/data.txt")) == "abcde");
}

BOOST_AUTO_TEST_CASE(if_range) {
    const auto first = get("/static/data.txt");
    const std::string etag = first.header("ETag");
    BOOST_TEST(get("/static/data.txt", "Range: bytes=0-1\r\nIf-Range: " + etag + "\r\n").status == 206);
    BOOST_TEST(get("/static/data.txt", "Range: bytes=0-1\r\nIf-Range: \"stale\"\r\n").status == 200);
    BOOST_TEST(get("/static/data.txt", "Range: bytes=0-1\r\nIf-Range: " + first.header("Last-Modified") + "\r\n").status == 206);
    BOOST_TEST(get("/static/data.txt", "Range: bytes=0-1\r\nIf-Range: Sat, 01 Jan 2000 00:00:00 GMT\r\n").status == 200);
}

BOOST_AUTO_TEST_CASE(multiple_ranges_parse_in_python) {
    // Python's email parser reads multipart/byteranges as a browser's would.
    const std::string script = R"(
import email, http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
c.request("GET", "/static/big.bin", headers={"Range": "bytes=0-4, 10-14, 199995-"})
r = c.getresponse()
body = r.read()
m = email.message_from_bytes(b"Content-Type: " + r.getheader("Content-Type").encode() + b"\r\n\r\n" + body)
print(r.status, len(m.get_payload()))
for part in m.get_payload():
    print(part["Content-Range"], part.get_payload(decode=True).decode())
)";
    write_file(dir.path() / "ranges.py", script);
    BOOST_TEST(run("python3 " + (dir.path() / "ranges.py").string() + " " + std::to_string(server.port())) ==
               "206 3\nbytes 0-4/200000 01234\nbytes 10-14/200000 01234\nbytes 199995-199999/200000 56789\n");
    // Overlapping ranges are merged into one.
    const auto merged = get("/static/data.txt", "Range: bytes=0-5,3-8\r\n");
    BOOST_TEST(merged.header("Content-Range") == "bytes 0-8/20");
}

BOOST_AUTO_TEST_CASE(directories) {
    const auto index = get("/static/");
    BOOST_TEST(index.body == "<h1>home</h1>");
    BOOST_TEST(index.header("Content-Type") == "text/html; charset=utf-8");
    const auto no_slash = get("/static/sub?x=1");
    BOOST_TEST(no_slash.status == 308);
    BOOST_TEST(no_slash.header("Location") == "/static/sub/?x=1");
    BOOST_TEST(get("/static/sub/").status == 404);  // no index, no listing
    const auto listing = get("/browse/list/");
    BOOST_TEST(listing.status == 200);
    BOOST_TEST(listing.body.find("<a href=\"one.txt\">one.txt</a>") != std::string::npos);
    BOOST_TEST(listing.body.find("&lt;two&gt;.txt") != std::string::npos);  // escaped
    BOOST_TEST(listing.body.find("<two>") == std::string::npos);
    BOOST_TEST(listing.body.find(".hidden") == std::string::npos);
    BOOST_TEST(get("/static").status == 308);
}

BOOST_AUTO_TEST_CASE(no_way_out_of_the_root) {
    for (const char* path : {"/static/../outside.txt", "/static/%2e%2e/outside.txt", "/static/%2E%2E/outside.txt",
                             "/static/sub/..%2f..%2foutside.txt", "/static/sub%2f..%2f..%2foutside.txt",
                             "/static/..%5c..%5coutside.txt", "/static/data.txt%00.html", "/static/./data.txt"}) {
        BOOST_TEST_CONTEXT(path) {
            const auto r = get(path);
            BOOST_TEST(r.status == 400);
            BOOST_TEST(r.body.find("outside") == std::string::npos);
        }
    }
    BOOST_TEST(get("/static/escape.txt").status == 404);  // a symbolic link out of the root
    BOOST_TEST(get("/static/.env").status == 404);        // dotfiles hidden
    BOOST_TEST(get("/static/list/.hidden").status == 404);
    BOOST_TEST(get("/static/missing.txt").status == 404);
    BOOST_TEST(run("curl -s --path-as-is -o /dev/null -w '%{http_code}' " + url("/static/../outside.txt")) == "400");
    BOOST_TEST(get("/static/data.txt").status == 200);  // and still serving
}

BOOST_AUTO_TEST_CASE(a_client_leaving_mid_file_leaves_no_descriptor) {
    write_file(root / "large.bin", std::string(32 * 1024 * 1024, 'x'));
    get("/static/data.txt");  // the server's own descriptors settle first
    const std::size_t before = open_descriptors();
    for (int i = 0; i < 5; ++i) {
        test::RawConnection c(server.port());
        c.send(test::get("/static/large.bin"));
        char some[1024];
        BOOST_REQUIRE(::recv(c.fd(), some, sizeof some, 0) > 0);  // the transfer has begun
    }  // each closes with most of the file unsent
    for (int attempt = 0; attempt < 100 && open_descriptors() > before; ++attempt)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    BOOST_TEST(open_descriptors() <= before);
}

BOOST_AUTO_TEST_CASE(range_parsing_rules) {
    using http::detail::parse_range;
    BOOST_TEST(!parse_range("bytes=", 10).present);
    BOOST_TEST(!parse_range("bytes=a-b", 10).present);
    BOOST_TEST(!parse_range("items=0-1", 10).present);
    BOOST_TEST(parse_range("bytes=10-", 10).present);
    BOOST_TEST(!parse_range("bytes=10-", 10).satisfiable);
    BOOST_TEST(!parse_range("bytes=-0", 10).satisfiable);
    BOOST_TEST(parse_range("bytes=0-0,-1", 10).ranges.size() == 2u);
    std::string many = "bytes=0-0";
    for (int i = 1; i < 65; ++i)
        many += "," + std::to_string(i * 2) + "-" + std::to_string(i * 2);
    BOOST_TEST(!parse_range(many, 1000).present);  // 65 ranges: ignored
}

BOOST_AUTO_TEST_CASE(media_types) {
    BOOST_TEST(http::content_type_for("a.JSON") == "application/json");
    BOOST_TEST(http::content_type_for("x.tar.gz") == "application/gzip");
    BOOST_TEST(http::content_type_for("noextension") == "application/octet-stream");
    BOOST_TEST(http::content_type_for("dir.d/file") == "application/octet-stream");
    BOOST_TEST(http::content_type_for("font.woff2") == "font/woff2");
}

BOOST_AUTO_TEST_SUITE_END()
