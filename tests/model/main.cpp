#define BOOST_TEST_MODULE httpkit request model
#include <boost/test/unit_test.hpp>
