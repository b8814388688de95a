"""Every grouping decision on real headlines, this code against another checkout's.

    python -m bench.dedup_replay --against ../other-checkout [--rows 12000]
                                 [--held-out 12000] [--data ../shared/data]

A change meant only to make the story index faster must not move one article
(docs/decisions/0078-lookup-cost-without-moving-a-decision.md). The slice's tuned rows
and its held-out rows (``bench.dedup_eval``'s) are embedded once, then replayed through
``StoryIndex`` (find, then add, as the daemon groups them) by this code and, in a child
process, by the code of ``--against`` (its ``monitor`` package first on the path): in ID
order, in de-leaked time order, and without vectors (``[dedup] semantic = false``). For
each article the story it joins, the evidence it joins by and the score are compared; the
differing articles are counted (and the first few shown). Exit status 1 when any differs.
Only counts and headline numbers leave this module; the data is read in place.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from bench.dedup_eval import DEFAULT_DATA, HELD_OUT, SLICE, SPREAD_SEED, read_slice
from bench.embeddings import vectors_of
from bench.surge_stream import spread_times
from monitor.config.settings import DedupSettings
from monitor.stories.dedup import story_index_for

# One replay: (name, rows as (title, seen, language, vector)); a decision per row:
# (story id, joined by, score) with "" and 0.0 for an article that opens a story.
Case = tuple[str, list[tuple[str, datetime, str, bytes]]]
Decision = tuple[str, str, float]
_SHOWN = 5  # differing articles shown per replay


def replay(rows: Sequence[tuple[str, datetime, str, bytes]]) -> list[Decision]:
    """Each row looked up then added, with the default settings, as ``bench.dedup_eval``
    replays them (a row that joins nothing opens a story named by its number)."""
    index = story_index_for(DedupSettings())
    decisions: list[Decision] = []
    for number, (title, seen, language, vector) in enumerate(rows):
        found = index.find(title, seen, language=language, vector=vector)
        story_id = found.story_id if found is not None else str(number)
        index.add(story_id, story_id, title, seen, language=language, vector=vector)
        decided = (found.kind.value, found.score) if found is not None else ("", 0.0)
        decisions.append((story_id, *decided))
    return decisions


def cases(data: Path, tuned: int, held_out: int) -> list[Case]:
    """The replays: each half of the slice in ID order, de-leaked, and without vectors."""
    everything = read_slice(data / SLICE, tuned + held_out)
    vectors = vectors_of([row.title for row in everything])
    found: list[Case] = []
    for name, start, end in (("tuned", 0, tuned), ("held-out", tuned, tuned + held_out)):
        part = list(zip(everything[start:end], vectors[start:end], strict=True))
        if not part:
            continue
        times = spread_times([(row.story, row.seen) for row, _ in part], SPREAD_SEED)
        order = sorted(range(len(part)), key=lambda number: (times[number], number))
        in_order = [(row.title, row.seen, row.language, vector) for row, vector in part]
        spread = [(part[n][0].title, times[n], part[n][0].language, part[n][1]) for n in order]
        words = [(title, seen, language, b"") for title, seen, language, _ in in_order]
        found += [(f"{name}, ID order", in_order), (f"{name}, de-leaked", spread),
                  (f"{name}, words only", words)]  # fmt: skip
    return found


def theirs(checkout: Path, replays: list[Case]) -> list[list[Decision]]:
    """The decisions of ``checkout``'s code on ``replays``, made in a child process."""
    with tempfile.TemporaryDirectory(prefix="dedup-replay-") as folder:
        given, taken = Path(folder) / "cases.pickle", Path(folder) / "decisions.json"
        given.write_bytes(pickle.dumps(replays))
        env = {**os.environ, "PYTHONPATH": str(checkout.resolve())}
        # -P: this file's folder is not put on the path; the checkout's monitor is imported
        command = [sys.executable, "-P", __file__, "--child", str(given), str(taken)]
        subprocess.run(command, check=True, env=env, cwd=checkout)
        made: list[list[list[object]]] = json.loads(taken.read_text(encoding="utf-8"))
    return [[(str(d[0]), str(d[1]), float(str(d[2]))) for d in one] for one in made]


def _child(given: Path, taken: Path) -> None:
    replays: list[Case] = pickle.loads(given.read_bytes())
    taken.write_text(json.dumps([replay(rows) for _, rows in replays]), encoding="utf-8")


def differences(mine: list[Decision], other: list[Decision]) -> list[int]:
    pairs = enumerate(zip(mine, other, strict=True))
    return [number for number, (one, two) in pairs if one != two]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.dedup_replay",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--against", type=Path, required=True, help="another checkout")
    parser.add_argument("--rows", type=int, default=12_000, help="tuned rows (12000)")
    parser.add_argument("--held-out", type=int, default=HELD_OUT, help="rows after them")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    replays = cases(args.data, args.rows, args.held_out)
    if not replays:
        print(f"{args.data} holds no slice rows: nothing compared")
        return 0
    other = theirs(args.against, replays)
    differing = 0
    for (name, rows), before in zip(replays, other, strict=True):
        after = replay(rows)
        moved = differences(after, before)
        differing += len(moved)
        joined = sum(1 for _, kind, _ in after if kind)
        print(f"{name:<22} {len(rows):>6,} articles, {joined:>6,} joined: {len(moved)} differ")
        for number in moved[:_SHOWN]:
            print(f"    article {number}: {before[number]} -> {after[number]}")
    return 1 if differing else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        sys.exit(main())
