-- One wrk script for every endpoint of benchmarks/run.py.
--
--   wrk -t2 -c16 -d10s -s benchmarks/wrk/bench.lua http://127.0.0.1:PORT -- MODE DATA_DIR NONCE
--
-- MODE: minimal_lookup | api_lookup | html_lookup | minimal_insert | api_intake
-- DATA_DIR: what `manage.py bench_prepare` wrote (lookups.tsv, minimal_codes.tsv, intake.json,
--           token.txt; html_lookup also needs csrf.txt, written by run.py).
-- NONCE: unique per wrk run, so Idempotency-Keys never repeat across runs on one database.
--
-- Every thread rotates over all the codes from its own offset. `done` prints one line
-- "WRKJSON {...}" that run.py parses; non-2xx responses are counted here (wrk's own count
-- treats 3xx as success).

local threads = {}
local thread_count = 0

function setup(thread)
   thread_count = thread_count + 1
   thread:set("id", thread_count)
   table.insert(threads, thread)
end

local function read_lines(path)
   local lines = {}
   for line in io.lines(path) do
      if line ~= "" then
         lines[#lines + 1] = line
      end
   end
   return lines
end

local function read_file(path)
   local f = assert(io.open(path, "rb"))
   local text = f:read("*a")
   f:close()
   return (text:gsub("%s+$", ""))
end

local function url_encode(s)
   return (s:gsub("[^%w%-%._~]", function(c)
      return string.format("%%%02X", string.byte(c))
   end))
end

function init(args)
   mode = args[1]
   local dir = args[2]
   nonce = args[3] or tostring(os.time())
   non2xx = 0
   counter = 0
   items = {}
   if mode == "minimal_lookup" then
      for _, code in ipairs(read_lines(dir .. "/minimal_codes.tsv")) do
         items[#items + 1] = "/bench/minimal-lookup/" .. code .. "/"
      end
   elseif mode == "api_lookup" or mode == "html_lookup" then
      for _, line in ipairs(read_lines(dir .. "/lookups.tsv")) do
         local code, secret = line:match("^([^\t]+)\t([^\t]+)$")
         if mode == "api_lookup" then
            items[#items + 1] = '{"code":"' .. code .. '","secret":"' .. secret .. '"}'
         else
            items[#items + 1] = "code=" .. url_encode(code) .. "&secret=" .. url_encode(secret)
         end
      end
   elseif mode == "minimal_insert" then
      items[1] = '{"text":"Nguyễn Văn An 046085000123"}'
   elseif mode == "api_intake" then
      items[1] = read_file(dir .. "/intake.json")
   else
      error("unknown mode " .. tostring(mode))
   end
   -- Spread the threads over the list so that they do not ask for the same rows in step.
   position = ((id or 1) - 1) * math.floor(#items / 2)
   headers = {}
   if mode == "api_lookup" or mode == "minimal_insert" or mode == "api_intake" then
      headers["Content-Type"] = "application/json"
   end
   if mode == "api_intake" then
      headers["Authorization"] = "Token " .. read_file(dir .. "/token.txt")
   end
   if mode == "html_lookup" then
      local csrf = read_file(dir .. "/csrf.txt")
      headers["Content-Type"] = "application/x-www-form-urlencoded"
      headers["Cookie"] = "csrftoken=" .. csrf
      csrf_field = "csrfmiddlewaretoken=" .. csrf .. "&"
   end
end

function request()
   position = position % #items + 1
   local item = items[position]
   if mode == "minimal_lookup" then
      return wrk.format("GET", item, headers, nil)
   elseif mode == "api_lookup" then
      return wrk.format("POST", "/api/v1/lookup/", headers, item)
   elseif mode == "html_lookup" then
      return wrk.format("POST", "/tra-cuu/", headers, csrf_field .. item)
   elseif mode == "minimal_insert" then
      return wrk.format("POST", "/bench/minimal-insert/", headers, item)
   else
      counter = counter + 1
      headers["Idempotency-Key"] = "bench-" .. nonce .. "-" .. id .. "-" .. counter
      return wrk.format("POST", "/api/v1/dossiers/", headers, item)
   end
end

function response(status, headers, body)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
   end
end

function done(summary, latency, requests)
   local bad = 0
   for _, thread in ipairs(threads) do
      bad = bad + (thread:get("non2xx") or 0)
   end
   local e = summary.errors
   io.write(string.format(
      'WRKJSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,'
         .. '"max_us":%d,"non2xx":%d,"connect_errors":%d,"read_errors":%d,'
         .. '"write_errors":%d,"timeouts":%d}\n',
      summary.requests, summary.duration, latency:percentile(50.0), latency:percentile(90.0),
      latency:percentile(99.0), latency.max, bad, e.connect, e.read, e.write, e.timeout
   ))
end
