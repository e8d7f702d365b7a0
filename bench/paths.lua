-- wrk script: GET the paths of a file (one a line) in turn, each thread from its own place,
-- and print the run's numbers as one JSON line at the end.
--   wrk -s bench/paths.lua http://127.0.0.1:8000 -- paths.txt

local paths = {}
local index = 1
local counter = 0
local threads = {}

function setup(thread)
   counter = counter + 1
   thread:set("offset", counter)
   table.insert(threads, thread)
end

function init(args)
   for line in io.lines(args[1]) do
      if line ~= "" then
         table.insert(paths, line)
      end
   end
   index = ((offset or 1) * 7919) % #paths + 1
end

function request()
   local path = paths[index]
   index = index % #paths + 1
   return wrk.format("GET", path)
end

function done(summary, latency, requests)
   local errors = summary.errors
   io.write(string.format(
      '{"requests": %d, "seconds": %.3f, "bytes": %d, "p50_ms": %.2f, "p95_ms": %.2f, ' ..
      '"p99_ms": %.2f, "non_2xx": %d, "socket_errors": %d}\n',
      summary.requests, summary.duration / 1e6, summary.bytes,
      latency:percentile(50) / 1000, latency:percentile(95) / 1000,
      latency:percentile(99) / 1000, errors.status,
      errors.connect + errors.read + errors.write + errors.timeout))
end
