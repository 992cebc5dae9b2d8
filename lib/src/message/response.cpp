// http::Response's methods, for the server and the client alike.
#include <http/cookie.hpp>
#include <http/failure.hpp>
#include <http/response.hpp>

#include "proto/message/problem.hpp"
#include "proto/parser/scan.hpp"

#include <optional>
#include <stdexcept>

namespace http {

BodyStream Response::stream() { return detail::start_stream(*this, true); }

void Response::set_cookie(std::string key, std::string value, std::string domain, std::string path,
                          std::string expires, bool secure, std::string extras) {
    Cookie cookie;
    cookie.name = std::move(key);
    cookie.value = std::move(value);
    cookie.domain = std::move(domain);
    cookie.path = std::move(path);
    cookie.expires = std::move(expires);
    cookie.secure = secure;
    cookie.extras = std::move(extras);
    set_cookie(cookie);
}

void Response::set_cookie(const Cookie& cookie) { cookies.push_back(cookie.to_set_cookie()); }

void Response::redirect(std::string location, Status redirect_status) {
    if (!is_redirection(redirect_status))
        throw std::invalid_argument("http::Response::redirect: " + to_string(redirect_status) + " is not a 3xx status");
    if (!detail::is_field_value(location))
        throw std::invalid_argument("http::Response::redirect: location holds a control character");
    headers.set("Location", std::move(location));
    status = redirect_status;
    body.clear();
}

void Response::raise_for_status() const {
    if (is_client_error(status) || is_server_error(status))
        raise_failure();
}

void Response::raise_failure() const {
    // The fields the dataset ties to the status travel with the failure (so that retry_after(),
    // allowed_methods(), location() ... work); the rest of the response's fields are its own.
    Headers fields;
    if (const StatusInfo* info = status_info(status))
        for (const StatusHeader& header : info->headers)
            for (const std::string_view value : headers.get_all(header.name))
                fields.add(std::string(header.name), std::string(value));
    // The server's own words when it gave them: an RFC 9457 problem's detail, or a short,
    // single-line text body. Otherwise the phrase (explain()).
    const std::string_view type = headers.get("Content-Type");
    const Status failure_status = static_cast<unsigned>(status) > 599 ? Status::INTERNAL_SERVER_ERROR : status;
    if (type.starts_with("application/problem+json")) {
        if (std::optional<Problem> problem = detail::read_problem_json(body)) {
            std::string message = problem->detail;
            throw_failure(failure_status, std::move(message), std::move(fields), std::move(*problem));
        }
    }
    std::string message;
    if (body.size() <= 200 && body.find('\n') == std::string::npos && type.starts_with("text/plain"))
        message = body;
    throw_failure(failure_status, std::move(message), std::move(fields));
}

}  // namespace http
