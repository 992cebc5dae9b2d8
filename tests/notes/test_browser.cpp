// The notes service (examples/notes) in a real browser (headless Chromium), CORS first: a page
// served from one origin uses the API on another through fetch(): a preflighted POST whose
// Location and ETag the page may read (exposed), a preflighted PUT with If-Match, a stale one
// whose 412 problem body the page reads, and a preflight to a path with no route, which must
// fail; a page from an origin the API does not allow is blocked. The browser is the judge of
// every rule here: the page writes what fetch() gave it, and Chromium prints the DOM.
#include "notes.hpp"
#include "support/test_server.hpp"

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
  const json = {"Content-Type": "application/json"};
  let etag = "";
  out.push(await call("post", "/notes", {method: "POST", headers: json, body: '{"title": "from the page"}'},
                      async r => { etag = r.headers.get("ETag"); return r.headers.get("Location") + ":" + (etag || "").length; }));
  out.push(await call("get", "/notes/1", {}, async r => (await r.json()).title));
  out.push(await call("put", "/notes/1", {method: "PUT", headers: {...json, "If-Match": etag}, body: '{"title": "changed"}'},
                      async r => (await r.json()).title));
  out.push(await call("stale", "/notes/1", {method: "PUT", headers: {...json, "If-Match": etag, "Accept": "application/problem+json"},
                                            body: '{"title": "lost"}'}, async r => (await r.json()).title));
  out.push(await call("nowhere", "/nowhere", {method: "PUT", headers: json, body: "{}"}, r => r.text()));
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

BOOST_AUTO_TEST_SUITE(notes_browser)

BOOST_AUTO_TEST_CASE(a_page_on_another_origin_uses_what_the_api_allows_and_nothing_else) {
    BOOST_REQUIRE_MESSAGE(std::system("command -v chromium > /dev/null") == 0,
                          "this test needs Chromium (scripts/install-deps test)");
    test::TestServer allowed(page_server);
    test::TestServer other(page_server);
    std::atomic<int> preflights{0};
    notes::Store store;
    test::TestServer api([&](http::Server& s) {
        http::Router router = notes::router(store, {.cors_origins = {"http://127.0.0.1:" + std::to_string(allowed.port())}});
        s.on_receive([router, &preflights](http::Request& req, http::Response& res) {
            if (req.method == "OPTIONS")
                ++preflights;
            router(req, res);
        });
    });

    const std::string seen = run_page(allowed.port(), api.port());
    BOOST_TEST_MESSAGE("the allowed page: " << seen);
    BOOST_TEST(seen == "done post:201:/notes/1:34|get:200:from the page|put:200:changed|stale:412:Precondition Failed|"
                       "nowhere:blocked");
    BOOST_TEST(preflights.load() >= 3);  // the POST's, the PUT's, and the one to a path with no route

    const std::string blocked = run_page(other.port(), api.port());
    BOOST_TEST_MESSAGE("the other page: " << blocked);
    BOOST_TEST(blocked == "done post:blocked|get:blocked|put:blocked|stale:blocked|nowhere:blocked");
    BOOST_TEST(store.page(1, 100)["total"] == 1);  // the blocked POST's preflight failed: nothing sent
}

BOOST_AUTO_TEST_SUITE_END()
