// multipart/form-data: the same fields and files whether the body comes whole or in two pieces;
// small parts stay in memory, larger ones go to (and are removed from) temporary files.
#include "fuzz.hpp"

#include "proto/multipart/multipart.hpp"

#include <string>

using namespace http::detail;

namespace {

std::string parse(std::string_view boundary, std::string_view body, std::size_t split) {
    http::Fields form;
    Files files;
    MultipartLimits limits;
    limits.max_in_memory = 64;
    limits.max_parts = 50;
    MultipartReader reader(boundary, form, files, limits);
    auto result = reader.feed(body.substr(0, split));
    if (result != MultipartReader::Result::error)
        result = reader.feed(body.substr(split));
    if (result != MultipartReader::Result::error)
        result = reader.finish();
    if (result == MultipartReader::Result::error)
        return "error: " + std::string(reader.error().reason);
    std::string out;
    for (const auto& [name, value] : form)
        out += name + "=" + value + "\n";
    for (const auto& [name, file] : files) {
        const std::string bytes = file.read();
        FUZZ_CHECK(bytes.size() == file.size);
        FUZZ_CHECK(file.in_memory() == (file.size <= 64));
        out += name + "@" + file.filename + ":" + file.content_type + ":" + bytes + "\n";
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const fuzz::Input in = fuzz::split_input(data, size);
    // The boundary is the first line of the input, the body the rest.
    const std::size_t newline = in.bytes.find('\n');
    if (newline == std::string_view::npos || newline > 80)
        return 0;
    const std::string_view boundary = in.bytes.substr(0, newline);
    const std::string_view body = in.bytes.substr(newline + 1);
    FUZZ_CHECK(parse(boundary, body, body.size()) == parse(boundary, body, std::min(in.split, body.size())));
    return 0;
}
