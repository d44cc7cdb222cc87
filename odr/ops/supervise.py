"""Keep one command running: ``python -m odr.ops.supervise COMMAND...`` starts COMMAND again whenever it dies.

`odr serve` runs the queue worker under it, as gunicorn keeps its web processes: a worker killed from outside
(an out-of-memory kill, a crash) is back within a second; one that keeps failing by itself soon after its start
(a broken setting) waits longer each time, at most a minute. SIGTERM or SIGINT stops the command and the
supervisor; so does the end of the process that started it. Only the standard library: it starts in a moment.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

QUICK = 0.5


def supervise(command: list[str]) -> int:
    parent = os.getppid()
    stopping = False
    child: subprocess.Popen | None = None

    def stop(signum, frame):
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    pause = QUICK
    while not stopping:
        started = time.monotonic()
        child = subprocess.Popen(command)
        while child.poll() is None:
            if stopping or os.getppid() != parent:  # stopped, or the server that started us is gone
                stopping = True
                child.terminate()
                break
            time.sleep(0.2)
        try:
            code = child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            code = child.wait()
        if stopping:
            break
        failing = code > 0 and time.monotonic() - started < 60
        pause = min(pause * 2, 60.0) if failing else QUICK
        print(f"{' '.join(command[-2:])} exited ({code}); starting it again in {pause:.1f} s", file=sys.stderr)
        sys.stderr.flush()
        deadline = time.monotonic() + pause
        while not stopping and time.monotonic() < deadline:
            time.sleep(0.1)
    return 0


if __name__ == "__main__":
    sys.exit(supervise(sys.argv[1:]))
