"""Run as ``python -m tests.support.broken_preloads``, with broken stand-ins of the model
packages first on ``PYTHONPATH``: starts a fork server that preloads what the daemon's
does when it embeds headlines, forks one process from it and prints that process's exit
status (0: the fork server lived through the failed loads)."""

from __future__ import annotations

import multiprocessing
import os

from monitor.daemon import polling

if __name__ == "__main__":
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(polling._PRELOAD_MODEL))
    child = context.Process(target=os.getpid)
    child.start()
    child.join()
    print(child.exitcode)
