-- GET with "Authorization: Bearer $BENCH_TOKEN" (no header when it is unset).
local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
