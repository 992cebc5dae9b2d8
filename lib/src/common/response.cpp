#include <http/failure.hpp>
#include <http/response.hpp>

#include <stdexcept>

namespace http {

void Response::redirect(std::string location, Status redirect_status) {
    if (!is_redirection(redirect_status) || static_cast<unsigned>(redirect_status) > 399)
        throw std::invalid_argument("http::Response::redirect: " + to_string(redirect_status) + " is not a 3xx status");
    if (location.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
        throw std::invalid_argument("http::Response::redirect: location contains CR, LF or NUL");
    headers.set("Location", std::move(location));
    status = redirect_status;
    body.clear();
}

void Response::raise_for_status() const {
    if (!is_client_error(status) && !is_server_error(status))
        return;
    // A short, single-line text body says more than the phrase; anything else does not fit a message.
    std::string message;
    const std::string_view type = headers.get("Content-Type");
    if (body.size() <= 200 && body.find('\n') == std::string::npos && type.starts_with("text/plain"))
        message = body;
    throw_failure(static_cast<unsigned>(status) > 599 ? Status::INTERNAL_SERVER_ERROR : status, std::move(message));
}

}  // namespace http
