#include "proto/message/conditional.hpp"

#include "proto/parser/char_class.hpp"

#include <http/date.hpp>

namespace http::detail {

namespace {

// etagc (RFC 9110, Section 8.8.3): any visible byte but DQUOTE, and obs-text.
constexpr bool is_etagc(char c) noexcept {
    const auto byte = static_cast<unsigned char>(c);
    return byte == 0x21 || (byte >= 0x23 && byte != 0x7f);
}

struct EntityTag {
    bool weak = false;
    std::string_view opaque;  // with its quotes
};

// `tag` as an entity-tag, whole, or nullopt.
std::optional<EntityTag> parse_entity_tag(std::string_view tag) noexcept {
    EntityTag out;
    if (tag.starts_with("W/")) {  // case-sensitive (RFC 9110, Section 8.8.3)
        out.weak = true;
        tag.remove_prefix(2);
    }
    if (tag.size() < 2 || tag.front() != '"' || tag.back() != '"')
        return std::nullopt;
    for (const char c : tag.substr(1, tag.size() - 2))
        if (!is_etagc(c))
            return std::nullopt;
    out.opaque = tag;
    return out;
}

// Calls fn(element) for each element of an entity-tag list: split at commas outside quotes,
// trimmed, empty ones skipped. Each element is then parsed on its own.
template <class Fn>
void for_each_tag(std::string_view list, Fn&& fn) {
    std::size_t start = 0;
    bool quoted = false;
    for (std::size_t i = 0; i <= list.size(); ++i) {
        if (i < list.size() && list[i] == '"')
            quoted = !quoted;
        if (i < list.size() && (quoted || list[i] != ','))
            continue;
        const std::string_view element = trim_ows(list.substr(start, i - start));
        if (!element.empty())
            fn(element);
        start = i + 1;
    }
}

// The opaque tag, unquoted, without the suffix server.compression gives a compressed variant's.
std::string_view without_coding(std::string_view opaque) {
    opaque = opaque.substr(1, opaque.size() - 2);
    for (const std::string_view coding : {"-gzip", "-br", "-zstd"})
        if (opaque.ends_with(coding))
            return opaque.substr(0, opaque.size() - coding.size());
    return opaque;
}

bool is_get_or_head(std::string_view method) noexcept { return method == "GET" || method == "HEAD"; }

// The whole value of a list field that may be sent on several lines; false if absent.
bool list_field(const Headers& headers, std::string_view name, std::string& out) {
    bool present = false;
    for (const auto& [key, value] : headers)
        if (iequals(key, name)) {
            if (present)
                out += ", ";
            out += value;
            present = true;
        }
    return present;
}

// The one HTTP-date of a date field, or nullopt when it is absent, repeated or not a date.
std::optional<std::chrono::system_clock::time_point> date_field(const Headers& headers, std::string_view name) {
    if (headers.count(name) != 1)
        return std::nullopt;
    return parse_http_date(trim_ows(headers.get(name)));
}

}  // namespace

bool is_entity_tag(std::string_view tag) noexcept { return parse_entity_tag(tag).has_value(); }

bool etag_matches(std::string_view list, std::string_view etag, bool weak) {
    if (trim_ows(list) == "*")
        return true;
    const std::optional<EntityTag> current = parse_entity_tag(etag);
    if (!current)
        return false;
    bool match = false;
    for_each_tag(list, [&](std::string_view element) {
        const std::optional<EntityTag> candidate = parse_entity_tag(element);
        if (!candidate || match)
            return;
        match = weak ? without_coding(candidate->opaque) == without_coding(current->opaque)
                     : !candidate->weak && !current->weak && candidate->opaque == current->opaque;
    });
    return match;
}

Precondition evaluate_preconditions(std::string_view method, const Headers& headers, std::string_view etag,
                                    std::optional<std::chrono::system_clock::time_point> last_modified) {
    if (method == "CONNECT" || method == "OPTIONS" || method == "TRACE")
        return Precondition::proceed;
    // HTTP-dates have whole seconds: a time within the second of the date is not later than it.
    if (last_modified)
        last_modified = std::chrono::floor<std::chrono::seconds>(*last_modified);
    std::string list;
    // 1 and 2: the client's lost-update checks.
    if (list_field(headers, "If-Match", list)) {
        if (!etag_matches(list, etag, false))
            return Precondition::failed;
    } else if (const auto since = date_field(headers, "If-Unmodified-Since"); since && last_modified) {
        if (*last_modified > *since)
            return Precondition::failed;
    }
    // 3 and 4: the client's cache checks.
    list.clear();
    if (list_field(headers, "If-None-Match", list)) {
        if (etag_matches(list, etag, true))
            return is_get_or_head(method) ? Precondition::not_modified : Precondition::failed;
    } else if (is_get_or_head(method)) {
        const auto since = date_field(headers, "If-Modified-Since");
        if (since && last_modified && *last_modified <= *since)
            return Precondition::not_modified;
    }
    return Precondition::proceed;
}

}  // namespace http::detail
