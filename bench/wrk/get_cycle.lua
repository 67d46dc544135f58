-- GET with a different PAT per request, cycling through the lines of $BENCH_TOKENS_FILE.
-- Thread k of BENCH_THREADS starts at its own offset (plus BENCH_OFFSET), so threads touch
-- different tokens.
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS_FILE")) do tokens[#tokens + 1] = line end
thread_number = 0  -- set per thread by setup()
local created = 0

function setup(thread)
  thread:set("thread_number", created)
  created = created + 1
end

local position
function request()
  if position == nil then
    local threads = tonumber(os.getenv("BENCH_THREADS") or "1")
    position = (tonumber(os.getenv("BENCH_OFFSET") or "0") +
                math.floor(thread_number * #tokens / threads)) % #tokens
  end
  position = position % #tokens + 1
  return wrk.format("GET", nil, { ["Authorization"] = "Bearer " .. tokens[position] }, nil)
end

-- $BENCH_PACE_MS > 0: each connection waits that long before each request (wrk's delay()),
-- so the server runs below saturation and latency is the request's, not the run queue's.
local pace = tonumber(os.getenv("BENCH_PACE_MS") or "0")
if pace > 0 then
  function delay() return pace end
end
