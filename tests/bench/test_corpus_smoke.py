"""bench.corpus over a tiny self-written corpus: counts, groups and the report section."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

from bench.corpus import main

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<item><title>One</title><guid>1</guid></item></channel></rss>"""
FILES = {
    "feeds/a/good.xml": RSS,
    "feeds/a/gzipped.xml": gzip.compress(RSS),
    "feeds/a/illformed/broken.xml": b"<rss version='2.0'><channel><item><title>A &amp",
    "feeds/a/page.html": b"<!doctype html><html><body>not a feed</body></html>",
    "feeds/a/feed.json": b'{"version": "https://jsonfeed.org/version/1.1", "items": []}',
}
MANIFEST = "archive_path\trole\tsource_label\thttp_headers\n" + "".join(
    f"{path}\tinput\t{'illformed: on purpose' if 'illformed' in path else 'wellformed'}\t\n"
    for path in FILES
)


def test_corpus_run_reports_no_crash_and_counts_entries(tmp_path: Path) -> None:
    tarball = tmp_path / "feeds.tar.gz"
    with tarfile.open(tarball, "w:gz") as archive:
        for name, data in FILES.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    manifest = tmp_path / "MANIFEST.tsv"
    manifest.write_text(MANIFEST, encoding="utf-8")
    output = tmp_path / "BENCHMARKS.md"
    status = main(
        ["--tarball", str(tarball), "--manifest", str(manifest), "--output", str(output),
         "--workers", "1"]
    )  # fmt: skip
    text = output.read_text(encoding="utf-8")
    assert status == 0
    assert "| **crashes** (exceptions other than ParseError) | **0** |" in text
    assert "| files read as feeds | 4 |" in text
    assert "| … of which with at least one entry | 3 |" in text  # good, gzipped, broken
    assert "| files rejected as not a feed (ParseError) | 1 |" in text
    assert "| malformed on purpose | 1 | 1 | 1 | 0 | 0 |" in text


def test_missing_corpus_is_reported_not_raised(tmp_path: Path) -> None:
    assert main(["--tarball", str(tmp_path / "absent.tar.gz")]) == 1
