#define BOOST_TEST_MODULE httpkit router
#include <boost/test/unit_test.hpp>
