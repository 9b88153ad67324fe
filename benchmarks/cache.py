"""What the circuit breaker costs: Django's RedisCache against cms.cache's
ResilientRedisCache, on a Redis of the script's own, and the fallback while it is out.

    .venv/bin/python benchmarks/cache.py --ops 20000
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import _setup  # noqa: F401  (Django set up)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from django.core.cache.backends.redis import RedisCache

from cms.cache import ResilientRedisCache
from tests.redis_server import RedisServer


def per_op_us(cache, ops: int, rounds: int = 5) -> dict:
    """Median over rounds of the time of a get and of a set, in microseconds: wall
    clock, and this process's CPU time (what the wrapper adds shows there; the wall
    clock mostly waits for Redis, and on a shared machine for a core)."""
    figures = {"get": [], "set": [], "get_cpu": [], "set_cpu": []}
    for _ in range(rounds):
        for name in ("set", "get"):
            start, start_cpu = time.perf_counter(), time.process_time()
            for number in range(ops):
                if name == "set":
                    cache.set(f"k{number % 100}", number)
                else:
                    cache.get(f"k{number % 100}")
            figures[name].append((time.perf_counter() - start) / ops * 1e6)
            figures[f"{name}_cpu"].append((time.process_time() - start_cpu) / ops * 1e6)
    return {name: round(statistics.median(values), 2) for name, values in figures.items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ops", type=int, default=20000)
    args = parser.parse_args()
    redis = RedisServer().start()
    try:
        params = {"KEY_PREFIX": "bench", "OPTIONS": {"socket_timeout": 1}}
        plain = RedisCache(redis.url, params)
        resilient = ResilientRedisCache(redis.url, params)
        per_op_us(plain, 1000, 1)  # connections opened, code warm
        per_op_us(resilient, 1000, 1)
        results = {"plain": per_op_us(plain, args.ops), "resilient": per_op_us(resilient, args.ops)}
        redis.stop()
        resilient.get("k1")  # opens the breaker
        results["redis_out_fallback"] = per_op_us(resilient, args.ops)
    finally:
        redis.close()
    overhead = {
        name: round(results["resilient"][name] - results["plain"][name], 2)
        for name in ("get", "set", "get_cpu", "set_cpu")
    }
    print(
        json.dumps(
            {
                "bench": "cache",
                "ops": args.ops,
                "us_per_op": results,
                "breaker_overhead_us": overhead,
                "load_average": os.getloadavg()[0],
            }
        )
    )


if __name__ == "__main__":
    main()
