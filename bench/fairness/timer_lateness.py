"""Demo 1 for Python's asyncio: a 10 ms timer next to CPU-bound work.

asyncio runs every task on one event loop, so a task that computes for
3 seconds (as a thousand spinners would) holds the loop until it ends,
and the sleeper wakes that late.
    python3 timer_lateness.py
"""
import asyncio
import time

BUSY_S = 3.0


async def sleeper():
    start = time.perf_counter()
    await asyncio.sleep(0.010)
    late_ms = (time.perf_counter() - start) * 1000 - 10
    print(f"asyncio: a 10 ms sleep beside a {BUSY_S * 1000:.0f} ms busy task woke {late_ms:.1f} ms late")


async def spinner():
    until = time.perf_counter() + BUSY_S
    n = 0
    while time.perf_counter() < until:
        n = (n + 1) & 0xFFFF


async def main():
    await asyncio.gather(sleeper(), spinner())


asyncio.run(main())
