// Must NOT compile: <curses.h> defines OK as a macro, which would rewrite http::OK. The
// generated <http/status.hpp> says so by name (tests/CMakeLists.txt checks the message).
#if __has_include(<curses.h>)
#include <curses.h>
#endif
#ifndef OK
#define OK (0)  // as <curses.h> has it, where curses is not installed
#endif

#include <http/status.hpp>
