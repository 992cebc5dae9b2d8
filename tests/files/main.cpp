#define BOOST_TEST_MODULE httpkit files
#include <boost/test/unit_test.hpp>
