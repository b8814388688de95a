"""The daemon serves the API on its own listener, reading the config it runs."""

from __future__ import annotations

from pathlib import Path

import httpx

from monitor.config.settings import load_config
from monitor.daemon.daemon import Daemon

CONFIG = """
[store]
path = "{db}"

[listener]
port = 0

[entities.syria]
entries = ["Latakia"]

[[rules]]
name = "latakia"
any_of = ["syria"]
"""


async def test_the_daemon_serves_the_api(tmp_path: Path) -> None:
    path = tmp_path / "ww.toml"
    path.write_text(CONFIG.format(db=tmp_path / "ww.db"))
    daemon = await Daemon.build(load_config(path))
    try:
        await daemon.listener.start()
        async with httpx.AsyncClient(base_url=daemon.listener.url + "/api/v1") as client:
            rules = await client.get("/rules")
            stories = await client.get("/stories")
            document = await client.get("/openapi.json")
    finally:
        await daemon.close()
    assert [rule["name"] for rule in rules.json()["items"]] == ["latakia"]
    assert stories.json() == {"items": [], "next_cursor": None}
    assert document.json()["openapi"] == "3.1.0"
