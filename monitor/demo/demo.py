"""``wirewatch demo``: the real daemon against a simulated newsroom on loopback.

No network and no set-up: the newsroom serves RSS, Atom and JSON feeds on
127.0.0.1 with syndicated stories, the config is generated into a temporary
folder, and alerts go to the console. Ctrl-C stops both cleanly.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from monitor.config import load_config
from monitor.daemon import run_daemon, run_in_loop
from monitor.demo.newsroom import Newsroom
from monitor.observability import configure_logging

DEMO_INTERVAL = 5  # seconds between polls in the demo config

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
        status = run_in_loop(
            run_daemon(config, once=False, stop=stop), config.settings.daemon.event_loop
        )
    print("wirewatch demo stopped.", file=sys.stderr)
    return status


# The demo's watch rules, in the rule language of ``rules/``. Kept as TOML text so the demo
# config reads exactly like one a user would write.
_DEMO_RULES = """
[entities.iran]
kind = "actor"
entries = [
  { name = "Iran", aliases = ["Iranian", "Iranians", "Tehran", "IRGC"] },
  "Quds Force",
]

[entities.russia]
kind = "actor"
entries = [{ name = "Russia", aliases = ["Russian", "Russians", "Moscow", "Kremlin"] }]

[entities.hezbollah]
kind = "actor"
entries = [{ name = "Hezbollah", aliases = ["Hizbollah", "Hizballah"] }]

[entities.isil]
kind = "actor"
entries = [{ name = "ISIL", aliases = ["ISIS", "Islamic State", "Daesh"] }]

[entities.syrian_government]
kind = "actor"
entries = [
  { name = "Syrian government", aliases = ["Syrian army", "government forces", "Assad"] },
]

[entities.syria_places]
kind = "place"
entries = [
  { name = "Syria", aliases = ["Syrian"] },
  "Damascus", "Aleppo", "Homs", "Hama", "Latakia", "Idlib", "Raqqa", "Deir ez-Zor",
  "Palmyra", "Tartus",
]

[keywords.escalation]
terms = [
  "troops", "forces", "fighters", "offensive", "assault", "attack", "deployed",
  "reinforcements", "advisers", "shells", "shelling", "storm",
]

[keywords.air_power]
terms = ["air strike", "air strikes", "jets", "warplanes", "sorties", "bombing", "raids"]

[[rules]]
name = "iran-in-syria"
description = "Iranian forces deployed to or fighting in Syria"
severity = "high"
all_of = ["iran", "syria_places"]
any_of = ["escalation"]
notifiers = ["console"]

[[rules]]
name = "russian-strikes"
description = "Russian air power over Syria"
severity = "high"
all_of = ["russia", "syria_places"]
any_of = ["air_power"]
notifiers = ["console"]

[[rules]]
name = "hezbollah-offensive"
description = "Hezbollah fighters in a Syrian offensive"
severity = "medium"
all_of = ["hezbollah", "syria_places"]
any_of = ["escalation"]
notifiers = ["console"]

[[rules]]
name = "isil-east"
description = "ISIL attacks, or strikes on ISIL, in Syria"
severity = "medium"
all_of = ["isil", "syria_places"]
any_of = ["escalation", "air_power"]
notifiers = ["console"]

[[rules]]
name = "government-offensive"
description = "Syrian government forces on the attack"
severity = "low"
all_of = ["syrian_government", "syria_places"]
any_of = ["escalation", "air_power"]
notifiers = ["console"]
"""


def _toml_string(value: str) -> str:
    # JSON string escapes are valid TOML; TOML also forbids a raw DEL, which JSON allows.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def demo_config_toml(feeds: Sequence[tuple[str, str]], *, store_path: str = ":memory:") -> str:
    """A complete wirewatch config polling ``feeds`` and printing alerts to the console."""
    head = [
        "# Written by `wirewatch demo`: a loopback newsroom, console alerts, no set-up.",
        "[daemon]",
        f"default_interval = {DEMO_INTERVAL}",
        f"min_interval = {DEMO_INTERVAL}",  # news every few seconds, on purpose
        "jitter = 1",
        "host_spacing = 0  # every outlet of the newsroom is on 127.0.0.1",
        "",
        "[store]",
        f"path = {_toml_string(store_path)}",
        "",
        "[notifiers.console]",
        'type = "console"',
    ]
    feed_tables = [
        f"\n[[feeds]]\nname = {_toml_string(name)}\nurl = {_toml_string(url)}\n"
        f"interval = {DEMO_INTERVAL}\n"
        'full_text = "never"  # the newsroom\'s articles have no pages (.example links)\n'
        for name, url in feeds
    ]
    return "\n".join(head) + "\n" + _DEMO_RULES + "".join(feed_tables)
