-- wrk script for scripts/bench/serve: POST one SST-2 dev sentence per request to an OpenAI
-- embeddings route, cycling through the file named by $SERVE_BENCH_DATA (read at run time).
-- Counts answers by status per thread; done() prints one JSON line that the driver parses.
local bodies = {}
local model = os.getenv("SERVE_BENCH_MODEL") or "sentence-transformers/all-MiniLM-L6-v2"

local function json_string(s)
  s = s:gsub('\\', '\\\\'):gsub('"', '\\"'):gsub('\t', '\\t'):gsub('\r', ''):gsub('\n', '\\n')
  return '"' .. s .. '"'
end

local function load()
  local path = os.getenv("SERVE_BENCH_DATA")
  local f = assert(io.open(path, "r"), "cannot open " .. tostring(path))
  local first = true
  for line in f:lines() do
    if first then first = false else   -- header: label<TAB>content
      local sentence = line:match("^[^\t]*\t(.*)$")
      if sentence and #sentence > 0 then
        bodies[#bodies + 1] = '{"model":' .. json_string(model) .. ',"input":' .. json_string(sentence) .. '}'
      end
    end
  end
  f:close()
end

local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  load()
  counter = id * 7919
  statuses = {}
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil, bodies[(counter % #bodies) + 1])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local by_status = {}
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("statuses")) do by_status[status] = (by_status[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(by_status) do parts[#parts + 1] = string.format('"%d":%d', status, n) end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"seconds":%.3f,"rps":%.2f,"p50_ms":%.2f,"p99_ms":%.2f,"max_ms":%.2f,' ..
    '"non2xx":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,"by_status":{%s}}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect, e.read, e.write, e.timeout, table.concat(parts, ",")))
end
