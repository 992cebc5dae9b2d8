// The whole of httpkit: status codes, failures, the registries (field names, methods, WebSocket
// close codes, HTTP/2 error codes), server and client. (<http/json.hpp>, which needs
// nlohmann-json, is included on its own.)
#pragma once

#include <http/client.hpp>
#include <http/close_codes.hpp>
#include <http/conditional.hpp>
#include <http/cookie.hpp>
#include <http/cors.hpp>
#include <http/date.hpp>
#include <http/failure.hpp>
#include <http/fields.hpp>
#include <http/files.hpp>
#include <http/h2_error_codes.hpp>
#include <http/headers.hpp>
#include <http/methods.hpp>
#include <http/problem.hpp>
#include <http/rate_limit.hpp>
#include <http/request.hpp>
#include <http/response.hpp>
#include <http/router.hpp>
#include <http/server.hpp>
#include <http/status.hpp>
#include <http/stream.hpp>
#include <http/task.hpp>
#include <http/testing.hpp>
#include <http/url.hpp>
#include <http/websocket.hpp>
