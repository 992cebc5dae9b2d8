#define BOOST_TEST_MODULE httpkit content codings
#include <boost/test/unit_test.hpp>
