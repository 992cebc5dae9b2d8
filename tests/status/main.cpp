#define BOOST_TEST_MODULE httpkit status
#include <boost/test/unit_test.hpp>
