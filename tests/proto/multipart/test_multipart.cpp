#include "proto/message/parameters.hpp"
#include "proto/multipart/multipart.hpp"

#include <boost/test/unit_test.hpp>

using namespace http::detail;

namespace {

struct Result {
    bool ok;
    http::Fields form;
    std::map<std::string, http::UploadedFile, std::less<>> files;
    ParseError error;
};

Result parse(std::string_view body, std::string_view boundary) {
    Result r;
    r.ok = parse_multipart(body, boundary, r.form, r.files, r.error);
    return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(multipart)

BOOST_AUTO_TEST_CASE(fields_and_files) {
    const Result r = parse("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
                           "--b  \r\nContent-Disposition: form-data; name=\"f\"; filename=\"x y.txt\"\r\n"
                           "Content-Type: text/csv\r\n\r\nc,s,v\r\n\r\n--b\r\n"
                           "Content-Disposition: form-data; name=\"empty\"\r\n\r\n\r\n--b--",
                           "b");
    BOOST_TEST(r.ok);
    BOOST_TEST(r.form.at("a") == "1");
    BOOST_TEST(r.form.at("empty") == "");
    BOOST_TEST(r.files.at("f").filename == "x y.txt");
    BOOST_TEST(r.files.at("f").content_type == "text/csv");
    BOOST_TEST(r.files.at("f").content == "c,s,v\r\n");
}

BOOST_AUTO_TEST_CASE(malformed) {
    BOOST_TEST(parse("no boundary here", "b").error.reason == "multipart body has no boundary");
    BOOST_TEST(parse("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1", "b").error.reason ==
               "multipart body ends without its closing boundary");
    BOOST_TEST(parse("--b\r\nContent-Type: text/plain\r\n\r\n1\r\n--b--", "b").error.reason ==
               "multipart part without Content-Disposition: form-data; name=...");
    BOOST_TEST(parse("--bX\r\n", "b").error.reason == "malformed multipart boundary line");
    BOOST_TEST(parse("", std::string(71, 'b')).error.reason == "multipart boundary must be 1 to 70 characters");
}

BOOST_AUTO_TEST_CASE(parameters) {
    const ParameterizedValue v = parse_parameterized("form-data; NAME=\"a \\\"q\\\" b\"; filename=plain.txt ; bad; x=");
    BOOST_TEST(v.value == "form-data");
    auto parameter = [&v](std::string_view name) {
        const std::string* value = v.find(name);
        BOOST_REQUIRE_MESSAGE(value != nullptr, "no parameter " << name);
        return *value;
    };
    BOOST_TEST(parameter("name") == "a \"q\" b");
    BOOST_TEST(parameter("filename") == "plain.txt");
    BOOST_TEST(v.find("bad") == nullptr);
    BOOST_TEST(parameter("x") == "");
}

BOOST_AUTO_TEST_SUITE_END()
