"""``wirewatch demo``: the real daemon against a simulated newsroom on loopback.

No network and no set-up: the newsroom serves RSS, Atom and JSON feeds on
127.0.0.1 with syndicated stories, the config is generated into a temporary
folder, and alerts go to the console. Ctrl-C stops both cleanly.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from monitor.config import load_config
from monitor.daemon import run_daemon
from monitor.logs import configure_logging
from monitor.newsroom import Newsroom, demo_config_toml

BANNER = """\
wirewatch demo — a simulated newsroom on {base_url} with {count} outlets.
The same events are syndicated across outlets with different headlines; wirewatch
folds them into one story and alerts once per story and rule. New items appear
every few seconds. Press Ctrl-C to stop.
"""


def run_demo(*, stop: asyncio.Event | None = None) -> int:
    """Run until Ctrl-C (or ``stop``); the exit status of the daemon."""
    with tempfile.TemporaryDirectory(prefix="wirewatch-demo-") as folder, Newsroom() as newsroom:
        path = Path(folder) / "demo.toml"
        text = demo_config_toml(newsroom.feeds, store_path=str(Path(folder) / "demo.db"))
        path.write_text(text, encoding="utf-8")
        config = load_config(path)
        configure_logging("info", "console")
        print(BANNER.format(base_url=newsroom.base_url, count=len(newsroom.feeds)), flush=True)
        status = asyncio.run(run_daemon(config, once=False, stop=stop))
    print("wirewatch demo stopped.", file=sys.stderr)
    return status
