#define BOOST_TEST_MODULE httpkit protocol core
#include <boost/test/unit_test.hpp>
