-- Replays a pool of pre-built raw requests (NUL-separated), each once, in order.
-- wrk's LuaJIT has no HMAC, so the harness signs every request ahead of time.
local requests = {}
local index = 0

function init(args)
  local file = assert(io.open(args[1], "rb"))
  local data = file:read("*all")
  file:close()
  for request in data:gmatch("([^%z]+)") do
    requests[#requests + 1] = request
  end
end

function request()
  index = index + 1
  if index > #requests then index = 1 end
  return requests[index]
end

function done(summary, latency, requests_)
  io.write(string.format("RESULT requests=%d duration_us=%d errors_status=%d errors_connect=%d " ..
    "errors_read=%d errors_timeout=%d p50_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
