#include "server/access_log.hpp"

#include "proto/message/problem.hpp"

#include <ctime>

namespace http::detail {

namespace {

// nginx's escaping for log fields: anything a client could use to break the line's format.
void append_escaped(std::string& out, std::string_view text) {
    constexpr char hex[] = "0123456789ABCDEF";
    if (text.empty()) {
        out += '-';
        return;
    }
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte >= 0x7f || c == '"' || c == '\\') {
            out += "\\x";
            out += hex[byte >> 4];
            out += hex[byte & 15];
        } else {
            out += c;
        }
    }
}

std::string timestamp(std::chrono::system_clock::time_point time, bool iso) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[40];
    if (iso) {
        const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count() % 1000;
        const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
        std::snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>(millis));
    } else {
        std::strftime(text, sizeof text, "%d/%b/%Y:%H:%M:%S +0000", &utc);
    }
    return text;
}

}  // namespace

std::string format_access_line(LogFormat format, const AccessRecord& record) {
    const Request* req = record.request;
    const std::string_view referer = req ? req->headers.get("Referer") : std::string_view();
    const std::string_view agent = req ? req->headers.get("User-Agent") : std::string_view();
    std::string line;
    if (format == LogFormat::combined) {
        // %h %l %u [%t] "%r" %>s %b "%{Referer}i" "%{User-Agent}i"
        line.append(record.ip.empty() ? "-" : record.ip).append(" - - [").append(timestamp(record.time, false)).append("] \"");
        if (req) {
            append_escaped(line, req->method);
            line += ' ';
            append_escaped(line, req->request_uri);
            line.append(" HTTP/").append(req->http_version);
        } else {
            line += '-';
        }
        line.append("\" ").append(std::to_string(static_cast<unsigned>(record.status))).append(" ");
        line.append(record.bytes ? std::to_string(record.bytes) : "-").append(" \"");
        append_escaped(line, referer);
        line += "\" \"";
        append_escaped(line, agent);
        line += "\"\n";
        return line;
    }
    auto member = [&line](std::string_view name, std::string_view value) {
        line.append(line.size() == 1 ? "\"" : ",\"").append(name).append("\":\"");
        append_json_escaped(line, value);
        line += '"';
    };
    line += '{';
    member("time", timestamp(record.time, true));
    member("ip", record.ip);
    if (req) {
        member("method", req->method);
        member("target", req->request_uri);
        member("version", req->http_version);
    }
    line.append(",\"status\":").append(std::to_string(static_cast<unsigned>(record.status)));
    line.append(",\"bytes\":").append(std::to_string(record.bytes));
    char duration[32];
    std::snprintf(duration, sizeof duration, "%.3f",
                  std::chrono::duration<double, std::milli>(record.duration).count());
    line.append(",\"duration_ms\":").append(duration);
    if (!referer.empty())
        member("referer", referer);
    if (!agent.empty())
        member("user_agent", agent);
    line += "}\n";
    return line;
}

}  // namespace http::detail
