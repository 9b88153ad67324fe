"""Warm start of `make run`: seconds from the command to the first page served, when
nothing is left to install or migrate. Compares the one-process start (`manage.py
serve`, what `make run` runs) with the former four processes (preflight, migrate,
load_demo, uvicorn).

Runs on its own data folder (a temporary TRIBUNE_VAR_DIR, demo loaded once before
timing), never the development one. Prints one JSON line last.

    .venv/bin/python benchmarks/startup.py --runs 3
"""

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
UVICORN = str(ROOT / ".venv" / "bin" / "uvicorn")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def first_page(port: int, started: float, deadline: float = 300) -> float:
    url = f"http://127.0.0.1:{port}/"
    while time.monotonic() - started < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("no page within the deadline")


def timed(command: str, env: dict, port: int) -> float:
    started = time.monotonic()
    process = subprocess.Popen(  # noqa: S602 - a fixed shell line
        command,
        shell=True,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        return first_page(port, started)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tribune-startup-") as folder:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DATABASE_URL", "REDIS_URL", "DJANGO_DEBUG")
        }
        env.update(TRIBUNE_VAR_DIR=folder, LOG_LEVEL="WARNING")
        subprocess.run(
            [PYTHON, "manage.py", "serve", "--no-serve"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        one, four = [], []
        for _ in range(args.runs):
            port = free_port()
            one.append(timed(f"make --no-print-directory run PORT={port}", env, port))
            port = free_port()
            four.append(
                timed(
                    f"{PYTHON} manage.py preflight && {PYTHON} manage.py migrate --noinput && "
                    f"{PYTHON} manage.py load_demo --if-empty && {UVICORN} config.asgi:application"
                    f" --port {port} --ws websockets-sansio --lifespan off",
                    env,
                    port,
                )
            )
            print(f"make run {one[-1]:.1f} s — four processes {four[-1]:.1f} s", file=sys.stderr)
    print(
        json.dumps(
            {
                "bench": "startup",
                "runs": args.runs,
                "make_run_median_s": round(statistics.median(one), 1),
                "make_run_max_s": round(max(one), 1),
                "four_processes_median_s": round(statistics.median(four), 1),
                "four_processes_max_s": round(max(four), 1),
                "load_average": round(os.getloadavg()[0], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
