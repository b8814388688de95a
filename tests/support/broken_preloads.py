"""Run as ``python -m tests.support.broken_preloads [FORMAT]``, with broken stand-ins of the
model packages first on ``PYTHONPATH``: configures its logs as the daemon does from
``[log] format = FORMAT`` (given), starts a fork server that preloads what the daemon's
does when it embeds headlines, forks one process from it and prints that process's exit
status (0: the fork server lived through the failed loads)."""

from __future__ import annotations

import multiprocessing
import os
import sys

from monitor.daemon import polling
from monitor.observability import configure_logging

if __name__ == "__main__":
    if len(sys.argv) > 1:
        configure_logging("info", sys.argv[1])
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(polling._PRELOAD_MODEL))
    child = context.Process(target=os.getpid)
    child.start()
    child.join()
    print(child.exitcode)
