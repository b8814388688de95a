"""MRPC for ``python -m bench.dedup_eval``: the story index's "same story" decision on the
human-labelled sentence pairs, with the evidence it gave each pair, against rapidfuzz's
``token_sort_ratio`` at the slice baseline's cutoff.

Each sentence is given to the index with the language the daemon's identifier reads in
it, as ingest gives ``Article.language``. The data is read in place and never copied."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rapidfuzz import fuzz, utils

from bench.dedup_report import FUZZ_CUTOFF, OURS, WORDS_ONLY
from bench.embeddings import vectors_of
from monitor.config.settings import DedupSettings
from monitor.ingest.language import identify
from monitor.stories.dedup import story_index_for

MRPC = ("mrpc/msr_paraphrase_train.txt", "mrpc/msr_paraphrase_test.txt")


@dataclass(frozen=True, slots=True)
class PairScore:
    method: str
    said_same: int
    correct: int
    positives: int
    pairs: int


def read_mrpc(path: Path) -> list[tuple[bool, str, str]]:
    with path.open(encoding="utf-8-sig") as handle:
        fields = (line.rstrip("\n").split("\t") for line in handle)
        return [(quality == "1", first, second) for quality, _, _, first, second in fields]


def mrpc_scores(paths: Sequence[Path], settings: DedupSettings) -> list[PairScore]:
    pairs = [pair for path in paths for pair in read_mrpc(path)]
    vectors = vectors_of([sentence for _, first, second in pairs for sentence in (first, second)])
    kinds = mrpc_kinds(pairs, settings, list(zip(vectors[::2], vectors[1::2], strict=True)))
    fuzzy = [fuzz.token_sort_ratio(a, b, processor=utils.default_process) >= FUZZ_CUTOFF
             for _, a, b in pairs]  # fmt: skip
    labels = [same for same, _, _ in pairs]
    close = ("same_headline", "near_identical", "update")
    words = (*close, "related")
    return [
        _pair_score(OURS, [k in (*words, "semantic", "shared_names") for k in kinds], labels),
        _pair_score("… of which near-identical", [k in close for k in kinds], labels),
        _pair_score("… of which related (other words)", [k == "related" for k in kinds], labels),
        _pair_score("… of which semantic (meaning)", [k == "semantic" for k in kinds], labels),
        _pair_score("… of which shared names", [k == "shared_names" for k in kinds], labels),
        _pair_score(WORDS_ONLY, [k in words for k in kinds], labels),
        _pair_score(f"token_sort_ratio >= {FUZZ_CUTOFF}", fuzzy, labels),
    ]


def mrpc_kinds(
    pairs: Sequence[tuple[bool, str, str]],
    settings: DedupSettings,
    vectors: Sequence[tuple[bytes, bytes]] | None = None,
) -> list[str]:
    """StoryIndex's evidence for each pair, every sentence first added to one index (for
    word rarity and names), each in the language the daemon's identifier reads in it;
    with their ``vectors``, the semantic tier's too."""
    index = story_index_for(settings, timedelta(days=36_500))
    both = vectors or [(b"", b"")] * len(pairs)
    moment = datetime(2005, 1, 1, tzinfo=UTC)
    languages = [(identify(first), identify(second)) for _, first, second in pairs]
    together = list(zip(pairs, languages, strict=True))
    for number, ((_, first, second), (one, other)) in enumerate(together):
        index.add(f"a{number}", "", first, moment, language=one)  # word rarity and names
        index.add(f"b{number}", "", second, moment, language=other)
    return [
        str(index.compare(first, second, language=one, other_language=other, vectors=pair))
        for ((_, first, second), (one, other)), pair in zip(together, both, strict=True)
    ]


def _pair_score(method: str, said: list[bool], labels: list[bool]) -> PairScore:
    correct = sum(s and real for s, real in zip(said, labels, strict=True))
    return PairScore(method, sum(said), correct, sum(labels), len(labels))
