// The whole of httpkit: status codes, failures, server and client.
#pragma once

#include <http/client.hpp>
#include <http/cookie.hpp>
#include <http/failure.hpp>
#include <http/headers.hpp>
#include <http/request.hpp>
#include <http/response.hpp>
#include <http/server.hpp>
#include <http/status.hpp>
