-- Naive doubly recursive Fibonacci, the same algorithm as fib.bl.
local function fib(n)
  if n < 2 then return n end
  return fib(n - 1) + fib(n - 2)
end
local n = tonumber(arg[1]) or 30
local t0 = os.clock()
local r = fib(n)
local t1 = os.clock()
print(string.format("fib(%d) = %d in %d us", n, r, math.floor((t1 - t0) * 1e6)))
