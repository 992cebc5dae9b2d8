#include <http/failure.hpp>
#include <http/status.hpp>

#include <iostream>

int main() {
    static_assert(http::phrase(http::NOT_FOUND) == "Not Found");
    try {
        throw http::NotFound();
    } catch (const http::ClientError& error) {
        std::cout << error.status() << ": " << error.what() << '\n';
        return error.status() == http::NOT_FOUND ? 0 : 1;
    }
    return 1;
}
