#define BOOST_TEST_MODULE httpkit registries
#include <boost/test/unit_test.hpp>
