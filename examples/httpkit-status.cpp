// httpkit-status: look up HTTP status codes in httpkit's dataset.
//
//   httpkit-status 404            httpkit-status not-found      httpkit-status PAYLOAD_TOO_LARGE
//   httpkit-status --all          httpkit-status --class 4xx    httpkit-status --json 418
//
// Exit status: 0 when every code or name was found, 1 when one was not, 2 on a usage error.
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

Prints each status's code, phrase, class, reference, registration, aliases and description.
NAME is a canonical name or an alias in any case, with '_', '-' or spaces ("not found").
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

nlohmann::ordered_json to_json(const http::StatusInfo& info) {
    nlohmann::ordered_json out;
    out["code"] = info.code();
    out["name"] = info.name;
    out["phrase"] = info.phrase;
    out["class"] = http::to_string(info.status_class);
    out["reference"] = info.reference;
    out["source"] = info.source;
    out["registration"] = http::to_string(info.registration);
    if (!info.expires.empty()) {
        out["expires"] = info.expires;
        out["expired"] = expired(info.expires);
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

void print_details(const http::StatusInfo& info) {
    auto line = [](std::string_view key, std::string_view value) {
        if (!value.empty())
            std::cout << "  " << key << std::string(13 - key.size(), ' ') << value << '\n';
    };
    auto join = [](const auto& items, auto text_of) {
        std::string joined;
        for (const auto& item : items)
            joined += (joined.empty() ? "" : ", ") + text_of(item);
        return joined;
    };
    std::cout << info.code() << ' ' << info.phrase << '\n';
    line("name", info.name);
    line("class", class_label(info));
    line("reference", info.reference);
    std::string registration = std::string(info.source) + ", " + std::string(http::to_string(info.registration));
    if (!info.expires.empty() && expired(info.expires))
        registration += " (expired " + std::string(info.expires) +
                        " by this data: the IANA registry may have renewed, made permanent or withdrawn it)";
    else if (!info.expires.empty())
        registration += " (expires " + std::string(info.expires) + ")";
    line("registration", registration);
    const http::RetryRule retry = http::retry_rule(info.status);
    if (retry.when != http::RetryWhen::never)
        line("retry", std::string(retry.when == http::RetryWhen::idempotent ? "for idempotent methods" : "for any method") +
                          (retry.retry_after ? ", after Retry-After" : ""));
    line("deprecated", info.deprecated);
    line("aliases", join(info.aliases, [](std::string_view a) { return std::string(a); }));
    line("headers", join(info.headers, [](const http::StatusHeader& h) {
             return std::string(h.name) + (h.required ? " (required)" : " (optional)");
         }));
    for (const http::VendorMeaning& vendor : info.vendors)
        line("vendor", std::string(vendor.vendor) + (vendor.phrase.empty() ? "" : " \"" + std::string(vendor.phrase) + "\"") +
                           ": " + std::string(vendor.meaning));
    line("description", info.description);
}

}  // namespace

int main(int argc, char** argv) {
    bool json = false;
    bool all = false;
    int class_digit = 0;
    std::vector<std::string_view> queries;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
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
        } else if (arg == "-h" || arg == "--help") {
            std::cout << usage;
            return 0;
        } else if (arg.starts_with("--")) {
            std::cerr << "httpkit-status: unknown option " << arg << "\n" << usage;
            return 2;
        } else {
            queries.push_back(arg);
        }
    }
    if (!all && class_digit == 0 && queries.empty()) {
        std::cerr << usage;
        return 2;
    }

    std::vector<const http::StatusInfo*> found;
    int exit_status = 0;
    if (all || class_digit != 0) {
        for (const http::StatusInfo& info : http::statuses())
            if (all || info.code() / 100 == class_digit)
                found.push_back(&info);
    }
    for (const std::string_view query : queries) {
        std::string problem;
        if (const auto status = lookup(query, problem)) {
            found.push_back(http::status_info(*status));
        } else {
            std::cerr << "httpkit-status: " << problem << '\n';
            exit_status = 1;
        }
    }

    const bool listing = all || class_digit != 0;
    if (json) {
        nlohmann::ordered_json out = nlohmann::ordered_json::array();
        for (const http::StatusInfo* info : found)
            out.push_back(to_json(*info));
        if (!listing && found.size() == 1)
            std::cout << to_json(*found.front()).dump(2) << '\n';
        else
            std::cout << out.dump(2) << '\n';
    } else if (listing && queries.empty()) {
        for (const http::StatusInfo* info : found) {
            std::cout << info->code() << "  " << info->name << std::string(40 - std::min<std::size_t>(info->name.size(), 39), ' ')
                      << info->phrase;
            if (info->registration != http::Registration::registered)
                std::cout << "  [" << http::to_string(info->registration) << ']';
            std::cout << '\n';
        }
    } else {
        for (std::size_t i = 0; i < found.size(); ++i) {
            if (i)
                std::cout << '\n';
            print_details(*found[i]);
        }
    }
    return exit_status;
}
