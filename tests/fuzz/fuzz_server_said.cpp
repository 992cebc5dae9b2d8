// What a server says that the client reads beyond the response head: an event stream (split
// anywhere, it must give the same events as whole), WWW-Authenticate challenges, Set-Cookie
// values stored in a jar (whatever is stored, the Cookie field made from it has no CR, LF or NUL).
#include "fuzz.hpp"

#include "proto/events/event_parser.hpp"
#include "proto/message/challenge.hpp"

#include <http/cookie_jar.hpp>

#include <stdexcept>
#include <vector>

namespace {

std::vector<http::Event> events_of(std::string_view first, std::string_view second) {
    http::detail::EventParser parser(4096);
    std::vector<http::Event> events;
    const auto keep = [&](const http::Event& e) {
        events.push_back(e);
        return true;
    };
    try {
        parser.feed(first, keep);
        parser.feed(second, keep);
    } catch (const std::length_error&) {
        events.push_back({"<too long>", {}, {}});
    }
    return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const fuzz::Input input = fuzz::split_input(data, size);
    const std::string_view bytes = input.bytes;

    const auto whole = events_of(bytes, {});
    const auto split = events_of(bytes.substr(0, input.split), bytes.substr(input.split));
    FUZZ_CHECK(whole.size() == split.size());
    for (std::size_t i = 0; i < whole.size() && i < split.size(); ++i)
        FUZZ_CHECK(whole[i].data == split[i].data && whole[i].event == split[i].event && whole[i].id == split[i].id);

    for (const auto& challenge : http::detail::parse_challenges(bytes)) {
        FUZZ_CHECK(!challenge.scheme.empty());
        for (const auto& [name, value] : challenge.params)
            FUZZ_CHECK(!name.empty());
    }

    std::vector<std::string> lines;
    for (std::size_t start = 0; start <= bytes.size();) {
        const std::size_t end = bytes.find('\n', start);
        lines.emplace_back(bytes.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos)
            break;
        start = end + 1;
    }
    http::CookieJar jar;
    jar.store("https://www.example.com/a/b", lines);
    const std::string header = jar.cookie_header("https://www.example.com/a/b/c");
    FUZZ_CHECK(header.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos);
    return 0;
}
