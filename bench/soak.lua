-- Mixed traffic for bench/run soak: cheap and expensive routes, failures, uploads, blocking
-- handlers. Counts the statuses each thread saw; done() prints them.
local boundary = "soakBoundary"
local multipart = "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--" ..
    boundary .. "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.bin\"\r\n" ..
    "Content-Type: application/octet-stream\r\n\r\n" .. string.rep("x", 20000) .. "\r\n--" .. boundary .. "--\r\n"
local threads = {}
function setup(thread)
    table.insert(threads, thread)
end

-- Built here, not at load time: wrk.format() takes the Host header from wrk.host, which is
-- set only once the script has loaded.
function init(args)
    counter = 0
    statuses = {}
    requests = {
        wrk.format("GET", "/plaintext"),
        wrk.format("GET", "/json"),
        wrk.format("GET", "/echo?a=1&b=two", {["Cookie"] = "sid=abc; theme=dark"}),
        wrk.format("POST", "/form", {["Content-Type"] = "application/x-www-form-urlencoded"}, "a=1&b=" .. string.rep("y", 500)),
        wrk.format("POST", "/upload", {["Content-Type"] = "multipart/form-data; boundary=" .. boundary}, multipart),
        wrk.format("GET", "/status/404"),
        wrk.format("GET", "/status/503"),
        wrk.format("GET", "/throw"),
        wrk.format("GET", "/redirect?to=/json"),
        wrk.format("GET", "/set-cookie?name=a&value=b"),
        wrk.format("GET", "/delay?ms=20"),
        wrk.format("GET", "/plaintext"),
    }

end

function request()
    counter = counter + 1
    return requests[(counter % #requests) + 1]
end

function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
    local totals = {}
    for _, thread in ipairs(threads) do
        local s = thread:get("statuses")
        for status, count in pairs(s) do
            totals[status] = (totals[status] or 0) + count
        end
    end
    local line = "statuses:"
    for status, count in pairs(totals) do
        line = line .. " " .. status .. "=" .. count
    end
    io.write(line .. "\n")
end
