// The whole of httpkit: status codes, failures, server and client. (<http/json.hpp>, which needs
// nlohmann-json, is included on its own.)
#pragma once

#include <http/client.hpp>
#include <http/cookie.hpp>
#include <http/date.hpp>
#include <http/failure.hpp>
#include <http/files.hpp>
#include <http/headers.hpp>
#include <http/problem.hpp>
#include <http/request.hpp>
#include <http/response.hpp>
#include <http/router.hpp>
#include <http/server.hpp>
#include <http/status.hpp>
#include <http/stream.hpp>
