// CORS in a real browser (headless Chromium): a page served from one origin calls an API on
// another through fetch(): a simple GET whose ETag the page may read (exposed), a preflighted
// PUT, a failure whose problem body the page reads, and a preflight to a path with no route,
// which must fail; a page from an origin the API does not allow is blocked. The browser is the
// judge of every rule here: the page writes what fetch() gave it, and Chromium prints the DOM.
#include "support/test_server.hpp"

#include <http/cors.hpp>
#include <http/failure.hpp>
#include <http/router.hpp>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <string>

namespace {

// The page: runs the calls in order and writes "done <results>" into #out. The API's port is in
// the page's query (?api=PORT).
const std::string page = R"(<!doctype html><html><body><pre id="out">running</pre><script>
const api = "http://127.0.0.1:" + new URLSearchParams(location.search).get("api");
async function call(name, path, init, read) {
  try { const r = await fetch(api + path, init); return name + ":" + r.status + ":" + await read(r); }
  catch (e) { return name + ":blocked"; }
}
async function run() {
  const out = [];
  out.push(await call("get", "/items", {}, async r => (await r.text()) + ":" + r.headers.get("ETag")));
  out.push(await call("put", "/items/7", {method: "PUT", headers: {"Content-Type": "application/json", "X-Token": "t"}, body: "{}"},
                      r => r.text()));
  out.push(await call("conflict", "/conflict", {headers: {"Accept": "application/problem+json"}}, async r => (await r.json()).detail));
  out.push(await call("nowhere", "/nowhere", {method: "PUT", headers: {"X-Token": "t"}}, r => r.text()));
  document.getElementById("out").textContent = "done " + out.join("|");
}
run();
</script></body></html>)";

// A server of the page alone.
void page_server(http::Server& s) {
    s.on_receive([](http::Request&, http::Response& res) {
        res.headers.set("Content-Type", "text/html; charset=utf-8");
        res.body = page;
    });
}

// What the page wrote, as headless Chromium saw it.
std::string run_page(std::uint16_t port, std::uint16_t api_port) {
    const std::filesystem::path profile =
        std::filesystem::temp_directory_path() / ("httpkit-chromium-" + std::to_string(::getpid()) + "-" + std::to_string(port));
    const std::string command = "chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir=" +
                                profile.string() + " --virtual-time-budget=10000 --dump-dom 'http://127.0.0.1:" +
                                std::to_string(port) + "/?api=" + std::to_string(api_port) + "' 2>/dev/null";
    std::string dom;
    if (FILE* pipe = ::popen(command.c_str(), "r")) {
        char buffer[4096];
        while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe))
            dom.append(buffer, n);
        ::pclose(pipe);
    }
    std::error_code ignored;
    std::filesystem::remove_all(profile, ignored);
    const std::size_t start = dom.find("<pre id=\"out\">");
    const std::size_t end = dom.find("</pre>", start);
    return start == std::string::npos || end == std::string::npos ? "no page: " + dom.substr(0, 200)
                                                                    : dom.substr(start + 14, end - start - 14);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cors_browser)

BOOST_AUTO_TEST_CASE(a_page_on_another_origin_reads_what_the_api_allows_and_nothing_else) {
    BOOST_REQUIRE_MESSAGE(std::system("command -v chromium > /dev/null") == 0,
                          "this test needs Chromium (scripts/install-deps test)");
    test::TestServer allowed(page_server);
    test::TestServer other(page_server);
    std::atomic<int> preflights{0};
    test::TestServer api([&](http::Server& s) {
        http::Router router;
        router.use([&preflights](http::Request& req, http::Response&, const std::function<void()>& next) {
            if (req.method == "OPTIONS")
                ++preflights;
            next();
        });
        router.use(http::cors({.origins = {"http://127.0.0.1:" + std::to_string(allowed.port())},
                               .methods = {"GET", "PUT"}, .headers = {"X-Token"}, .expose = {"ETag"}}));
        router.get("/items", [](http::Request&, http::Response& res) {
            res.headers.set("ETag", "\"v1\"");
            res.body = "[]";
        });
        router.put("/items/{id}", [](http::Request&, http::Response& res) { res.body = "stored"; });
        router.get("/conflict", [](http::Request&, http::Response&) { throw http::Conflict("the item changed meanwhile"); });
        s.on_receive(router);
    });

    const std::string seen = run_page(allowed.port(), api.port());
    BOOST_TEST_MESSAGE("the allowed page: " << seen);
    BOOST_TEST(seen == "done get:200:[]:\"v1\"|put:200:stored|conflict:409:the item changed meanwhile|nowhere:blocked");
    BOOST_TEST(preflights.load() >= 2);  // the PUT's, and the one to a path with no route

    const std::string blocked = run_page(other.port(), api.port());
    BOOST_TEST_MESSAGE("the other page: " << blocked);
    BOOST_TEST(blocked == "done get:blocked|put:blocked|conflict:blocked|nowhere:blocked");
}

BOOST_AUTO_TEST_SUITE_END()
