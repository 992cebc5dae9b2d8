// Files as responses (RFC 9110): validators, conditional requests (proto/message/conditional.hpp),
// byte ranges (Section 14), and a directory served without a way out of it.
#include <http/date.hpp>
#include <http/failure.hpp>
#include <http/files.hpp>

#include "files/file_content.hpp"
#include "files/send_file.hpp"
#include "proto/message/conditional.hpp"
#include "proto/parser/char_class.hpp"
#include "proto/url/percent.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <optional>
#include <system_error>
#include <vector>

namespace http {

namespace detail {

namespace {

struct ByteRange {
    std::uint64_t first;
    std::uint64_t last;  // inclusive
};

// More ranges than this in one request are not worth a multipart answer (and a long list of tiny
// or overlapping ranges is a way to make a server work): the Range field is then ignored.
constexpr std::size_t max_ranges = 64;

std::optional<std::uint64_t> number(std::string_view text) {
    std::uint64_t n = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size())
        return std::nullopt;
    return n;
}

}  // namespace

RangeRequest parse_range(std::string_view value, std::uint64_t length) {
    RangeRequest out;
    // bytes=first-last, first-, -suffix (RFC 9110, Section 14.1.2); another unit, or a malformed
    // field, is ignored: the whole representation is sent.
    value = trim_ows(value);
    if (value.size() < 6 || !equals_lower(value.substr(0, 6), "bytes="))
        return out;
    std::vector<ByteRange> ranges;
    bool malformed = false;
    std::size_t count = 0;
    for_each_list_element(value.substr(6), [&](std::string_view spec) {
        if (++count > max_ranges)
            malformed = true;
        const std::size_t dash = spec.find('-');
        if (malformed || dash == std::string_view::npos) {
            malformed = true;
            return;
        }
        const std::string_view first_text = trim_ows(spec.substr(0, dash));
        const std::string_view last_text = trim_ows(spec.substr(dash + 1));
        if (first_text.empty()) {  // a suffix: the last N bytes
            const auto suffix = number(last_text);
            if (!suffix) {
                malformed = true;
            } else if (*suffix > 0 && length > 0) {
                ranges.push_back({length - std::min(*suffix, length), length - 1});
            }
            return;
        }
        const auto first = number(first_text);
        const auto last = last_text.empty() ? std::optional<std::uint64_t>(UINT64_MAX) : number(last_text);
        if (!first || !last || *last < *first) {
            malformed = true;
            return;
        }
        if (*first < length)  // satisfiable
            ranges.push_back({*first, std::min(*last, length - 1)});
    });
    if (malformed || count == 0)
        return out;
    out.present = true;
    out.satisfiable = !ranges.empty();
    // Overlapping or adjacent ranges are sent once (RFC 9110, Section 14.2 allows it).
    std::sort(ranges.begin(), ranges.end(), [](const ByteRange& a, const ByteRange& b) { return a.first < b.first; });
    for (const ByteRange& r : ranges) {
        if (!out.ranges.empty() && r.first <= out.ranges.back().second + 1)
            out.ranges.back().second = std::max(out.ranges.back().second, r.last);
        else
            out.ranges.emplace_back(r.first, r.last);
    }
    return out;
}

}  // namespace detail

namespace {

using WallClock = std::chrono::system_clock;

std::string hex(std::uint64_t n) {
    char digits[17];
    const auto end = std::to_chars(digits, digits + sizeof digits, n, 16).ptr;
    return std::string(digits, end);
}

// A boundary for multipart/byteranges that the file's bytes cannot have been made to contain.
std::string boundary() {
    static std::atomic<std::uint64_t> counter{0};
    const auto now = static_cast<std::uint64_t>(WallClock::now().time_since_epoch().count());
    return "httpkit-" + hex(now) + "-" + hex(counter.fetch_add(1, std::memory_order_relaxed));
}

}  // namespace

void send_file(const Request& req, Response& res, const std::filesystem::path& path, const FileOptions& options) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw NotFound();
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
        ::close(fd);
        throw NotFound();
    }
    detail::send_open_file(req, res, fd, info, path.filename().native(), options);
}

namespace detail {

void send_open_file(const Request& req, Response& res, int fd, const struct stat& info, std::string_view name,
                    const FileOptions& options) {
    auto content = std::make_shared<FileContent>(fd);  // closes it, whatever happens next
    if (!S_ISREG(info.st_mode))
        throw NotFound();
    const auto length = static_cast<std::uint64_t>(info.st_size);
    const auto modified_ns = static_cast<std::uint64_t>(info.st_mtim.tv_sec) * 1000000000u +
                             static_cast<std::uint64_t>(info.st_mtim.tv_nsec);
    // Strong: any change of the bytes changes the modification time or the size. Built with
    // appends: GCC 12 at -O3 warns falsely (-Wrestrict) about this chain of operator+.
    std::string etag = "\"";
    etag.append(hex(modified_ns)).append("-").append(hex(length)).append("\"");
    const WallClock::time_point modified = WallClock::from_time_t(info.st_mtim.tv_sec);

    res.headers.set("ETag", etag);
    res.headers.set("Last-Modified", format_http_date(modified));
    res.headers.set("Accept-Ranges", "bytes");
    if (!options.cache_control.empty())
        res.headers.set("Cache-Control", options.cache_control);

    switch (evaluate_preconditions(req.method, req.headers, etag, modified)) {
    case Precondition::proceed:
        break;
    case Precondition::not_modified:
        res.status = Status::NOT_MODIFIED;  // ETag and Last-Modified go with it
        res.body.clear();
        return;
    case Precondition::failed:
        throw PreconditionFailed();
    }

    const std::string_view type = content_type_for(name);
    res.status = Status::OK;
    res.body.clear();
    res.headers.set("Content-Type", std::string(type));

    // Range, for GET only, and only while If-Range still describes this representation.
    detail::RangeRequest range;
    if (req.method == "GET" && req.headers.contains("Range")) {
        const std::string_view if_range = detail::trim_ows(req.headers.get("If-Range"));
        bool current = true;
        if (!if_range.empty()) {
            if (if_range.starts_with('"') || if_range.starts_with("W/"))
                current = etag_matches(if_range, etag, false);
            else
                current = parse_http_date(if_range) == modified;  // an exact date, as validator
        }
        if (current)
            range = detail::parse_range(req.headers.get("Range"), length);
    }
    if (range.present && !range.satisfiable)
        throw RangeNotSatisfiable(length);
    if (range.present && range.ranges.size() == 1) {
        const auto [first, last] = range.ranges.front();
        res.status = Status::PARTIAL_CONTENT;
        res.headers.set("Content-Range", "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" +
                                              std::to_string(length));
        content->parts.push_back({{}, first, last - first + 1});
    } else if (range.present) {
        res.status = Status::PARTIAL_CONTENT;
        const std::string separator = boundary();
        res.headers.set("Content-Type", "multipart/byteranges; boundary=" + separator);
        for (const auto& [first, last] : range.ranges) {
            content->parts.push_back({"\r\n--" + separator + "\r\nContent-Type: " + std::string(type) +
                                          "\r\nContent-Range: bytes " + std::to_string(first) + "-" + std::to_string(last) +
                                          "/" + std::to_string(length) + "\r\n\r\n",
                                      0, 0});
            content->parts.push_back({{}, first, last - first + 1});
        }
        content->parts.push_back({"\r\n--" + separator + "--\r\n", 0, 0});
    } else if (length > 0) {
        content->parts.push_back({{}, 0, length});
    }
    res.file = std::move(content);
}

}  // namespace detail

}  // namespace http
