// The generated lookups: names and codes from arbitrary bytes.
#include "fuzz.hpp"

#include <http/failure.hpp>
#include <http/status.hpp>

#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (const auto status = http::status_from_name(text)) {
        const http::StatusInfo* info = http::status_info(*status);
        FUZZ_CHECK(info != nullptr);
        bool named = info->name == text;
        for (const std::string_view alias : info->aliases)
            named = named || alias == text;
        FUZZ_CHECK(named);
    }
    int code = 0;
    std::memcpy(&code, data, std::min(size, sizeof code));
    const auto status = static_cast<http::Status>(static_cast<std::uint16_t>(code));
    FUZZ_CHECK(http::is_known(code) == http::status_from_code(code).has_value());
    (void)http::to_string(status);
    if (static_cast<unsigned>(status) >= 300 && static_cast<unsigned>(status) <= 599) {
        try {
            http::throw_failure(status, std::string(text));
        } catch (const http::Failure& failure) {
            FUZZ_CHECK(failure.status() == status);
        }
    }
    return 0;
}
