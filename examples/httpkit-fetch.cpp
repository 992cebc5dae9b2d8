// httpkit-fetch [options] URL: a small curl-like client over http::Client.
//
//   -X METHOD   -d DATA (or @FILE)   -H 'Name: value' (repeatable)   -o FILE
//   --cacert FILE   --insecure   --no-verify-host   --no-follow
//   --connect-timeout MS   --timeout MS   --json
//
// Prints the body (or, with --json, a summary of the response). Exit status 0 when a response
// arrived, whatever its status; otherwise 1 with a one-line reason on stderr (2: bad usage).
#include <http/client.hpp>

#include <nlohmann/json.hpp>

#include <charconv>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

namespace {

constexpr std::string_view usage = R"(usage: httpkit-fetch [options] URL
  -X METHOD               request method (default GET, or POST with -d)
  -d DATA                 request content; @FILE reads it from FILE
  -H 'Name: value'        add a request header (repeatable)
  -o FILE                 write the body to FILE instead of standard output
  --cacert FILE           trust the CA certificates in FILE (PEM)
  --insecure              do not verify the server's certificate
  --no-verify-host        verify the certificate but not the host name in it
  --no-follow             do not follow redirects
  --connect-timeout MS    time for DNS, connect and TLS handshake (default 60000)
  --timeout MS            longest wait for more of the response (default 300000)
  --json                  print a JSON summary instead of the body
)";

[[noreturn]] void bad_usage(const std::string& message) {
    std::cerr << "httpkit-fetch: " << message << "\n" << usage;
    std::exit(2);
}

std::chrono::milliseconds milliseconds(std::string_view option, std::string_view text) {
    long value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || value <= 0)
        bad_usage(std::string(option) + " takes a positive number of milliseconds, not '" + std::string(text) + "'");
    return std::chrono::milliseconds(value);
}

}  // namespace

int main(int argc, char** argv) {
    http::Client client;
    std::string method;
    std::optional<std::string> data;
    std::string output;
    std::string url;
    bool json = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        auto value = [&]() -> std::string_view {
            if (i + 1 >= argc)
                bad_usage(std::string(arg) + " needs a value");
            return argv[++i];
        };
        if (arg == "-X") {
            method = value();
        } else if (arg == "-d") {
            const std::string_view d = value();
            if (d.starts_with('@')) {
                std::ifstream in(std::string(d.substr(1)), std::ios::binary);
                if (!in) {
                    std::cerr << "httpkit-fetch: cannot read " << d.substr(1) << "\n";
                    return 1;
                }
                data.emplace(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
            } else {
                data.emplace(d);
            }
        } else if (arg == "-H") {
            const std::string_view header = value();
            const std::size_t colon = header.find(':');
            if (colon == std::string_view::npos || colon == 0)
                bad_usage("-H takes 'Name: value', not '" + std::string(header) + "'");
            std::string_view field_value = header.substr(colon + 1);
            while (!field_value.empty() && (field_value.front() == ' ' || field_value.front() == '\t'))
                field_value.remove_prefix(1);
            client.headers.add(std::string(header.substr(0, colon)), std::string(field_value));
        } else if (arg == "-o") {
            output = value();
        } else if (arg == "--cacert") {
            client.ca_cert = value();
        } else if (arg == "--insecure" || arg == "-k") {
            client.skip_peer_verification = true;
        } else if (arg == "--no-verify-host") {
            client.skip_hostname_verification = true;
        } else if (arg == "--no-follow") {
            client.follow_redirect = false;
        } else if (arg == "--connect-timeout") {
            client.connect_timeout = milliseconds(arg, value());
        } else if (arg == "--timeout") {
            client.receive_timeout = milliseconds(arg, value());
        } else if (arg == "--json") {
            json = true;
        } else if (arg == "-h" || arg == "--help") {
            std::cout << usage;
            return 0;
        } else if (arg.starts_with('-') && arg.size() > 1) {
            bad_usage("unknown option " + std::string(arg));
        } else if (url.empty()) {
            url = arg;
        } else {
            bad_usage("only one URL, please");
        }
    }
    if (url.empty())
        bad_usage("no URL");
    if (method.empty())
        method = data ? "POST" : "GET";

    http::Response response;
    try {
        response = client.send_request(url, method, data.value_or(""));
    } catch (const std::exception& error) {
        std::cerr << "httpkit-fetch: " << error.what() << "\n";
        return 1;
    }

    if (!output.empty()) {
        std::ofstream out(output, std::ios::binary);
        out << response.body;
        if (!out) {
            std::cerr << "httpkit-fetch: cannot write " << output << "\n";
            return 1;
        }
    }
    if (json) {
        nlohmann::ordered_json headers = nlohmann::ordered_json::object();
        for (const auto& [name, value] : response.headers) {
            if (headers.contains(name))
                headers[name] = headers[name].get<std::string>() + ", " + value;
            else
                headers[name] = value;
        }
        const nlohmann::ordered_json summary = {
            {"status", static_cast<int>(response.status)},
            {"version", response.version},
            {"headers", headers},
            {"cookies", response.cookies},
            {"redirects", response.redirects},
            {"responder", response.responder},
            {"time_taken", std::chrono::duration<double>(response.time_taken).count()},
            {"body_size", response.body.size()},
        };
        std::cout << summary.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << '\n';
    } else if (output.empty()) {
        std::cout << response.body << std::flush;
    }
    return 0;
}
