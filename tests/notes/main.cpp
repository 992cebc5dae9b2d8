#define BOOST_TEST_MODULE httpkit notes
#include <boost/test/unit_test.hpp>
