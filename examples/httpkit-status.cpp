// httpkit-status: look up HTTP status codes, and the other registries httpkit speaks, in its
// generated tables.
//
//   httpkit-status 404            httpkit-status not-found      httpkit-status PAYLOAD_TOO_LARGE
//   httpkit-status --all          httpkit-status --class 4xx    httpkit-status --json 418
//   httpkit-status --field content-type       httpkit-status --method QUERY
//   httpkit-status --close-code 1009          httpkit-status --h2-error REFUSED_STREAM
//   httpkit-status --fields | --methods | --close-codes | --h2-errors
//
// Exit status: 0 when every query was found, 1 when one was not, 2 on a usage error.
#include <http/close_codes.hpp>
#include <http/fields.hpp>
#include <http/h2_error_codes.hpp>
#include <http/methods.hpp>
#include <http/status.hpp>

#include <nlohmann/json.hpp>

#include <charconv>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::string_view usage = R"(usage: httpkit-status [--json] CODE|NAME...
       httpkit-status [--json] --all
       httpkit-status [--json] --class 1xx|2xx|3xx|4xx|5xx
       httpkit-status [--json] --field NAME | --method NAME | --close-code CODE|NAME | --h2-error CODE|NAME
       httpkit-status [--json] --fields | --methods | --close-codes | --h2-errors

Prints each status's code, phrase, class, reference, registration, aliases and description.
NAME is a canonical name or an alias in any case, with '_', '-' or spaces ("not found").
The other registries, each option repeatable and mixed with status queries:
  --field NAME        a field name of the HTTP Field Name Registry, in any case (content-type)
  --method NAME       a method of the HTTP Method Registry, as written: methods are case-sensitive
  --close-code CODE   a WebSocket close code (1009) or its name (MESSAGE_TOO_BIG, "message too big")
  --h2-error CODE     an HTTP/2 error code, in hex or decimal (0x7, 7), or its name (REFUSED_STREAM)
  --fields, --methods, --close-codes, --h2-errors list a whole registry.
)";

// "not-found", "Not Found", "i'm a teapot" -> "NOT_FOUND", "IM_A_TEAPOT"
std::string normalize_name(std::string_view text) {
    std::string name;
    for (const char c : text) {
        if (c == '\'')
            continue;
        if (c == '-' || c == ' ' || c == '_')
            name += '_';
        else if (c >= 'a' && c <= 'z')
            name += static_cast<char>(c - 'a' + 'A');
        else
            name += c;
    }
    return name;
}

// A whole decimal number, or a hex one written 0x...; nullopt for anything else.
std::optional<unsigned long> parse_number(std::string_view text) {
    int base = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        text.remove_prefix(2);
        base = 16;
    }
    unsigned long value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

std::optional<http::Status> lookup(std::string_view argument, std::string& problem) {
    int code = 0;
    const auto [end, error] = std::from_chars(argument.data(), argument.data() + argument.size(), code);
    if (error == std::errc{} && end == argument.data() + argument.size()) {
        if (auto status = http::status_from_code(code))
            return status;
        if (code >= 100 && code <= 599)
            problem = "unknown status code " + std::string(argument) + " (a " + std::to_string(code / 100) +
                      "xx code that no registry or vendor in the dataset defines)";
        else
            problem = "invalid status code " + std::string(argument) + " (status codes are 100-599)";
        return std::nullopt;
    }
    if (auto status = http::status_from_name(normalize_name(argument)))
        return status;
    problem = "unknown status name '" + std::string(argument) + "'";
    return std::nullopt;
}

// Whether a temporary registration's expiry date (YYYY-MM-DD) has passed, by the clock: the
// dataset may then be out of date.
bool expired(std::string_view expires) {
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char today[11];
    std::strftime(today, sizeof today, "%Y-%m-%d", &utc);
    return !expires.empty() && expires < std::string_view(today);
}

std::string class_label(const http::StatusInfo& info) {
    std::string label = std::to_string(info.code() / 100) + "xx " + std::string(http::to_string(info.status_class));
    for (char& c : label)
        if (c == '_')
            c = ' ';
    return label;
}

// What one query found: its JSON, its detailed text, and its line in a listing.
struct Found {
    nlohmann::ordered_json json;
    std::string details;
    std::string line;
};

// "  key          value\n", nothing for an empty value.
void add_line(std::string& out, std::string_view key, std::string_view value) {
    if (value.empty())
        return;
    out.append("  ").append(key).append(13 - key.size(), ' ').append(value).append(1, '\n');
}

template <class Items, class TextOf>
std::string join(const Items& items, TextOf text_of) {
    std::string joined;
    for (const auto& item : items)
        joined += (joined.empty() ? "" : ", ") + text_of(item);
    return joined;
}

std::string padded(std::string_view text, std::size_t width) {
    return std::string(text) + std::string(width > text.size() ? width - text.size() : 1, ' ');
}

// --- statuses ---------------------------------------------------------------------------

nlohmann::ordered_json to_json(const http::StatusInfo& info) {
    nlohmann::ordered_json out;
    out["code"] = info.code();
    out["name"] = info.name;
    out["phrase"] = info.phrase;
    out["class"] = http::to_string(info.status_class);
    out["reference"] = info.reference;
    out["source"] = info.source;
    out["registration"] = http::to_string(info.registration);
    if (!info.registered.empty())
        out["registered"] = info.registered;
    if (!info.extended.empty())
        out["extended"] = info.extended;
    if (!info.expires.empty()) {
        out["expires"] = info.expires;
        out["expired"] = info.registration == http::Registration::expired || expired(info.expires);
    }
    const http::RetryRule retry = http::retry_rule(info.status);
    out["retry"] = retry.when == http::RetryWhen::never ? "never"
                   : retry.when == http::RetryWhen::idempotent ? "idempotent methods" : "any method";
    out["retry_after"] = retry.retry_after;
    if (!info.deprecated.empty())
        out["deprecated"] = info.deprecated;
    out["aliases"] = nlohmann::ordered_json::array();
    for (const std::string_view alias : info.aliases)
        out["aliases"].push_back(alias);
    out["headers"] = nlohmann::ordered_json::array();
    for (const http::StatusHeader& header : info.headers)
        out["headers"].push_back({{"name", header.name}, {"required", header.required}});
    out["vendors"] = nlohmann::ordered_json::array();
    for (const http::VendorMeaning& vendor : info.vendors)
        out["vendors"].push_back({{"vendor", vendor.vendor}, {"phrase", vendor.phrase}, {"meaning", vendor.meaning}});
    out["description"] = info.description;
    return out;
}

std::string registration_text(const http::StatusInfo& info) {
    std::string text = std::string(info.source) + ", " + std::string(http::to_string(info.registration));
    if (info.registration == http::Registration::expired) {
        text += " (temporary registration " + std::string(info.registered);
        if (!info.extended.empty())
            text += ", extended " + std::string(info.extended);
        text += ", expired " + std::string(info.expires) +
                ": no registry imported since renewed it or made it permanent)";
    } else if (!info.expires.empty() && expired(info.expires)) {
        text += " (expired " + std::string(info.expires) +
                " by this data: the IANA registry may have renewed, made permanent or withdrawn it)";
    } else if (!info.expires.empty()) {
        text += " (expires " + std::string(info.expires) + ")";
    }
    return text;
}

Found status_found(const http::StatusInfo& info) {
    Found found{to_json(info), {}, {}};
    std::string& out = found.details;
    out.append(http::code_text(info.status)).append(1, ' ').append(info.phrase).append(1, '\n');
    add_line(out, "name", info.name);
    add_line(out, "class", class_label(info));
    add_line(out, "reference", info.reference);
    add_line(out, "registration", registration_text(info));
    const http::RetryRule retry = http::retry_rule(info.status);
    if (retry.when != http::RetryWhen::never)
        add_line(out, "retry", std::string(retry.when == http::RetryWhen::idempotent ? "for idempotent methods" : "for any method") +
                                   (retry.retry_after ? ", after Retry-After" : ""));
    add_line(out, "deprecated", info.deprecated);
    add_line(out, "aliases", join(info.aliases, [](std::string_view a) { return std::string(a); }));
    add_line(out, "headers", join(info.headers, [](const http::StatusHeader& h) {
                 return std::string(h.name) + (h.required ? " (required)" : " (optional)");
             }));
    for (const http::VendorMeaning& vendor : info.vendors)
        add_line(out, "vendor", std::string(vendor.vendor) + (vendor.phrase.empty() ? "" : " \"" + std::string(vendor.phrase) + "\"") +
                                    ": " + std::string(vendor.meaning));
    add_line(out, "description", info.description);
    found.line = std::string(http::code_text(info.status)) + "  " + padded(info.name, 40) + std::string(info.phrase);
    if (info.registration != http::Registration::registered)
        found.line += "  [" + std::string(http::to_string(info.registration)) + ']';
    return found;
}

// --- field names -----------------------------------------------------------------------

// "content_type" and "CONTENT_TYPE" name Content-Type too: '_' stands for '-'.
std::optional<http::Field> find_field(std::string_view text) {
    if (auto field = http::field_from_name(text))
        return field;
    std::string dashed(text);
    for (char& c : dashed)
        if (c == '_')
            c = '-';
    return http::field_from_name(dashed);
}

Found field_found(const http::FieldInfo& info) {
    Found found;
    found.json["name"] = info.name;
    found.json["enumerator"] = "http::Field::" + normalize_name(info.name);
    found.json["status"] = http::to_string(info.status);
    found.json["structured_type"] = info.structured_type;
    found.json["reference"] = info.reference;
    found.json["comments"] = info.comments;
    std::string& out = found.details;
    out.append(info.name).append(1, '\n');
    add_line(out, "enum", found.json["enumerator"].get<std::string>());
    add_line(out, "status", http::to_string(info.status));
    add_line(out, "structured", info.structured_type);
    add_line(out, "reference", info.reference);
    add_line(out, "comments", info.comments);
    found.line = padded(info.name, 40) + std::string(http::to_string(info.status));
    return found;
}

// --- methods -----------------------------------------------------------------------------

Found method_found(const http::MethodInfo& info) {
    Found found;
    found.json["name"] = info.name;
    found.json["enumerator"] = "http::Method::" + normalize_name(info.name);
    found.json["safe"] = info.safe;
    found.json["idempotent"] = info.idempotent;
    found.json["reference"] = info.reference;
    std::string& out = found.details;
    out.append(info.name).append(1, '\n');
    add_line(out, "enum", found.json["enumerator"].get<std::string>());
    add_line(out, "safe", info.safe ? "yes" : "no");
    add_line(out, "idempotent", info.idempotent ? "yes (a client may repeat it)" : "no");
    add_line(out, "reference", info.reference);
    found.line = padded(info.name, 20) + (info.safe ? "safe  " : "      ") + (info.idempotent ? "idempotent" : "");
    return found;
}

// --- close codes -------------------------------------------------------------------------

std::string close_code_rule(std::uint16_t code) {
    if (http::may_send_close_code(code))
        return "may be sent and received";
    if (http::may_receive_close_code(code))
        return "may be received; an endpoint does not send it";
    return "never in a Close frame: a frame carrying it fails the connection";
}

Found close_code_found(std::uint16_t code) {
    Found found;
    found.json["code"] = code;
    const http::CloseCodeInfo* info = http::close_code_info(static_cast<http::CloseCode>(code));
    std::string& out = found.details;
    if (info) {
        found.json["name"] = info->name;
        found.json["phrase"] = info->phrase;
        found.json["meaning"] = info->meaning;
        found.json["reference"] = info->reference;
        out.append(std::to_string(code)).append(1, ' ').append(info->phrase).append(1, '\n');
        add_line(out, "enum", "http::CloseCode::" + std::string(info->name));
        add_line(out, "meaning", info->meaning);
        add_line(out, "reference", info->reference);
        found.line = std::to_string(code) + "  " + padded(info->name, 30) + std::string(info->phrase);
    } else {
        out.append(std::to_string(code)).append(code >= 4000 ? " (private use, RFC 6455, Section 7.4.2)\n"
                                                               : " (not registered; 3000-3999 are registered on request)\n");
        found.line = std::to_string(code);
    }
    found.json["may_send"] = http::may_send_close_code(code);
    found.json["may_receive"] = http::may_receive_close_code(code);
    add_line(out, "rule", close_code_rule(code));
    return found;
}

std::optional<std::uint16_t> lookup_close_code(std::string_view argument, std::string& problem) {
    if (const auto number = parse_number(argument)) {
        if (*number > 65535) {
            problem = "invalid close code " + std::string(argument) + " (close codes are 16-bit numbers)";
            return std::nullopt;
        }
        const auto code = static_cast<std::uint16_t>(*number);
        if (http::close_code_info(static_cast<http::CloseCode>(code)) || http::may_receive_close_code(code))
            return code;
        problem = "unknown close code " + std::string(argument) +
                  (code < 1000 ? " (0-999 are not used, RFC 6455, Section 7.4.2)"
                   : code < 3000 ? " (1000-2999 are the protocol's own and this one is not assigned)"
                                 : " (close codes end at 4999)");
        return std::nullopt;
    }
    if (const auto code = http::close_code_from_name(normalize_name(argument)))
        return static_cast<std::uint16_t>(*code);
    problem = "unknown close code name '" + std::string(argument) + "'";
    return std::nullopt;
}

// --- HTTP/2 error codes -------------------------------------------------------------------

std::string hex(std::uint32_t value) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%02x", static_cast<unsigned>(value));
    return text;
}

Found h2_found(const http::h2::ErrorCodeInfo& info) {
    Found found;
    found.json["code"] = info.value();
    found.json["hex"] = hex(info.value());
    found.json["name"] = info.name;
    found.json["description"] = info.description;
    found.json["reference"] = info.reference;
    std::string& out = found.details;
    out.append(hex(info.value())).append(1, ' ').append(info.name).append(1, '\n');
    add_line(out, "enum", "http::h2::ErrorCode::" + std::string(info.name));
    add_line(out, "description", info.description);
    add_line(out, "reference", info.reference);
    found.line = hex(info.value()) + "  " + padded(info.name, 24) + std::string(info.description);
    return found;
}

std::optional<http::h2::ErrorCode> lookup_h2(std::string_view argument, std::string& problem) {
    if (const auto number = parse_number(argument)) {
        if (*number <= 0xffffffffu) {
            const auto code = static_cast<http::h2::ErrorCode>(*number);
            if (http::h2::error_code_info(code))
                return code;
            problem = "unknown HTTP/2 error code " + hex(static_cast<std::uint32_t>(*number)) +
                      " (RFC 9113, Section 7: it triggers no special behaviour and may be treated as INTERNAL_ERROR)";
        } else {
            problem = "invalid HTTP/2 error code " + std::string(argument) + " (error codes are 32-bit numbers)";
        }
        return std::nullopt;
    }
    if (const auto code = http::h2::error_code_from_name(normalize_name(argument)))
        return code;
    problem = "unknown HTTP/2 error code name '" + std::string(argument) + "'";
    return std::nullopt;
}

// --- queries -------------------------------------------------------------------------------

enum class Kind { status, field, method, close_code, h2_error };

struct Query {
    Kind kind;
    std::string_view text;
};

std::optional<Found> run(const Query& query, std::string& problem) {
    switch (query.kind) {
    case Kind::status:
        if (const auto status = lookup(query.text, problem))
            return status_found(*http::status_info(*status));
        return std::nullopt;
    case Kind::field:
        if (const auto field = find_field(query.text))
            return field_found(*http::field_info(*field));
        problem = "unknown field name '" + std::string(query.text) + "' (not in the HTTP Field Name Registry)";
        return std::nullopt;
    case Kind::method: {
        if (const auto method = http::method_from_name(query.text))
            return method_found(*http::method_info(*method));
        problem = "unknown method '" + std::string(query.text) + "' (not in the HTTP Method Registry)";
        std::string upper(query.text);
        for (char& c : upper)
            c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
        if (http::method_from_name(upper))
            problem = "unknown method '" + std::string(query.text) + "': methods are case-sensitive (RFC 9110, Section 9.1); " +
                      "the registry has " + upper;
        return std::nullopt;
    }
    case Kind::close_code:
        if (const auto code = lookup_close_code(query.text, problem))
            return close_code_found(*code);
        return std::nullopt;
    case Kind::h2_error:
        if (const auto code = lookup_h2(query.text, problem))
            return h2_found(*http::h2::error_code_info(*code));
        return std::nullopt;
    }
    return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
    bool json = false;
    bool all = false;
    int class_digit = 0;
    std::vector<Query> queries;
    std::vector<Found> listed;  // --fields, --methods ...
    bool listing_registry = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        auto value_of = [&](std::string_view option) -> std::optional<std::string_view> {
            if (i + 1 < argc)
                return std::string_view(argv[++i]);
            std::cerr << "httpkit-status: " << option << " needs a value\n" << usage;
            return std::nullopt;
        };
        if (arg == "--json") {
            json = true;
        } else if (arg == "--all") {
            all = true;
        } else if (arg == "--class") {
            const std::string_view value = i + 1 < argc ? std::string_view(argv[++i]) : std::string_view();
            if (value.size() == 3 && value[0] >= '1' && value[0] <= '5' && (value.substr(1) == "xx" || value.substr(1) == "XX")) {
                class_digit = value[0] - '0';
            } else {
                std::cerr << "httpkit-status: --class takes 1xx, 2xx, 3xx, 4xx or 5xx, not '" << value << "'\n";
                return 2;
            }
        } else if (arg == "--field" || arg == "--method" || arg == "--close-code" || arg == "--h2-error") {
            const auto value = value_of(arg);
            if (!value)
                return 2;
            const Kind kind = arg == "--field" ? Kind::field : arg == "--method" ? Kind::method
                              : arg == "--close-code" ? Kind::close_code : Kind::h2_error;
            queries.push_back({kind, *value});
        } else if (arg == "--fields") {
            listing_registry = true;
            for (const http::FieldInfo& info : http::fields())
                listed.push_back(field_found(info));
        } else if (arg == "--methods") {
            listing_registry = true;
            for (const http::MethodInfo& info : http::methods())
                listed.push_back(method_found(info));
        } else if (arg == "--close-codes") {
            listing_registry = true;
            for (const http::CloseCodeInfo& info : http::close_codes())
                listed.push_back(close_code_found(info.value()));
        } else if (arg == "--h2-errors") {
            listing_registry = true;
            for (const http::h2::ErrorCodeInfo& info : http::h2::error_codes())
                listed.push_back(h2_found(info));
        } else if (arg == "-h" || arg == "--help") {
            std::cout << usage;
            return 0;
        } else if (arg.starts_with("--")) {
            std::cerr << "httpkit-status: unknown option " << arg << "\n" << usage;
            return 2;
        } else {
            queries.push_back({Kind::status, arg});
        }
    }
    if (!all && class_digit == 0 && queries.empty() && !listing_registry) {
        std::cerr << usage;
        return 2;
    }

    if (all || class_digit != 0) {
        for (const http::StatusInfo& info : http::statuses())
            if (all || info.code() / 100 == class_digit)
                listed.push_back(status_found(info));
    }
    std::vector<Found> found;
    int exit_status = 0;
    for (const Query& query : queries) {
        std::string problem;
        if (auto result = run(query, problem)) {
            found.push_back(std::move(*result));
        } else {
            std::cerr << "httpkit-status: " << problem << '\n';
            exit_status = 1;
        }
    }

    if (json) {
        nlohmann::ordered_json out = nlohmann::ordered_json::array();
        for (const Found& item : listed)
            out.push_back(item.json);
        for (const Found& item : found)
            out.push_back(item.json);
        if (listed.empty() && found.size() == 1)
            std::cout << found.front().json.dump(2) << '\n';
        else
            std::cout << out.dump(2) << '\n';
        return exit_status;
    }
    for (const Found& item : listed)
        std::cout << item.line << '\n';
    for (std::size_t i = 0; i < found.size(); ++i) {
        if (i || !listed.empty())
            std::cout << '\n';
        std::cout << found[i].details;
    }
    return exit_status;
}
