#define BOOST_TEST_MODULE httpkit parser
#include <boost/test/unit_test.hpp>
