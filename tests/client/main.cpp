#define BOOST_TEST_MODULE httpkit client
#include <boost/test/unit_test.hpp>
