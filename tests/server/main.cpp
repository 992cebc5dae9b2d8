#define BOOST_TEST_MODULE httpkit server
#include <boost/test/unit_test.hpp>
