// Must NOT compile: <arpa/nameser.h> (which <resolv.h> includes) defines DELETE and QUERY as
// macros, which would rewrite http::Method::DELETE and http::Method::QUERY. The generated
// <http/methods.hpp> says so by name (tests/CMakeLists.txt checks the message).
#include <arpa/nameser.h>

#include <http/methods.hpp>
