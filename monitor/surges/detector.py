"""The surge detector: each sighting updates the windows and baselines of its story, its
rules and its names, and a key fires when its count in the window is improbable under
its baseline (docs/decisions/0043-surge-detection.md; the scores: ``baselines``).

Rules' and names' baselines are forgotten with ``half_life_hours`` and scaled by how
busy this hour of the week is; stories are judged against the population of stories'
outlets in their first window.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from monitor.config import SurgeSettings
from monitor.surges.baselines import (
    Score,
    key_fires_from,
    key_score,
    story_score,
    window_exposure,
)
from monitor.surges.memory import Memory, StoryLife
from monitor.surges.model import NAME, RULE, STORY, Rising, Sighting, Surge, SurgeKind
from monitor.surges.state import dump_memory, load_memory, memory_document
from monitor.surges.stats import HOUR, hour_slices, slot_of
from monitor.surges.stories import second_outlet, sweep_stories
from monitor.surges.tracks import (
    FirstReport,
    Report,
    Track,
    folded_story,
    outlet_of,
    spread,
    surge_of,
    trim,
)

Rules = tuple[str, ...]
Names = tuple[tuple[str, str], ...]  # (folded key, as shown)
Pair = tuple[str, str]  # (story_id, outlet)

RISING_SCORE = 1.3  # a count with a chance below 5 % is "rising"
RISING_LIMIT = 20


class SurgeDetector:
    """Incremental: ``observe`` costs a few dictionary updates per key of the sighting;
    nothing is read back from the store. State: bounded by ``story_hours`` of stories,
    ``max_names`` names, and the rules (docs/decisions/0043)."""

    def __init__(self, settings: SurgeSettings, state: bytes | None = None) -> None:
        self.settings = settings
        self._memory = load_memory(state) if state else Memory()
        self._window = settings.window_minutes * 60.0
        self._forget = math.log(2) / (settings.half_life_hours * HOUR)  # decay per second
        self._threshold = -math.log10(settings.sensitivity)
        self._mins = settings.min_count, settings.min_outlets
        self._kinds = {
            SurgeKind.STORY: settings.stories,
            SurgeKind.RULE: settings.rules,
            SurgeKind.NAME: settings.names,
        }
        self._exposure_at, self._exposure_then = math.nan, 0.0  # the window's, at a time
        self._story_span = settings.story_hours * HOUR
        self._first_end = min(self._window, self._story_span)  # a new story's, from its opening
        self._sweep_due = -math.inf  # no story's window or tracking ends before (-inf: unknown)
        self._clock_set()

    def snapshot(self) -> bytes:
        """Everything learned, versioned and compressed (restore with ``restore``)."""
        return dump_memory(self._memory)

    def snapshot_document(self) -> dict[str, Any]:
        """What ``snapshot`` encodes, as copied plain data: ``encode_state`` turns it into
        the same bytes off the event loop."""
        return memory_document(self._memory)

    def restore(self, state: bytes) -> None:
        self._memory = load_memory(state)
        self._exposure_at, self._sweep_due = math.nan, -math.inf
        self._clock_set()

    def _clock_set(self) -> None:
        """What follows from the clock's time: the profile's open hour is the clock's (so
        an article while the clock stands still is one addition; a state of version 2
        has none open, and would open it at its next article), and which kinds are
        judged (warmed up: for good, the clock never goes back)."""
        self._warmed, self._judged = False, dict.fromkeys(SurgeKind, False)
        clock = self._memory.clock
        if clock is not None:
            self._memory.profile.add_time(int(clock // HOUR), 0.0)
            self._warm_up(clock)

    def _warm_up(self, now: float) -> None:
        """Each kind judged from now on if it is on and the detector is warmed up."""
        if not self._warmed and self._warm(now):
            self._warmed, self._judged = True, dict(self._kinds)

    def observe(self, sighting: Sighting) -> list[Surge]:
        """Count one stored article; the surges it makes fire (in kind order)."""
        fired: list[Surge] = []
        self.count(sighting.at.timestamp(), sighting.story_id, sighting.outlet,
                   sighting.title, rules=sighting.rules, names=sighting.names,
                   into=fired)  # fmt: skip
        return fired

    def count(
        self,
        moment: float,
        story_id: str,
        outlet: str,
        title: str,
        *,
        rules: Rules,
        names: Names,
        into: list[Surge],
    ) -> None:
        """``observe`` of a sighting given by its fields (``moment``: its time, seconds
        since the epoch), what it makes fire appended to ``into``: the surge stage counts
        each stored article this way, building no :class:`Sighting` and no list for it."""
        memory = self._memory
        clock = memory.clock
        if clock is not None and moment <= clock:  # the clock stands still: nothing moves
            now = clock
            memory.profile.open_articles += 1.0  # its hour is open (``_clock_set``)
        else:
            now = self._advance(moment)
        if moment < now - self._window:  # a backlog after downtime: history, not news
            self._remember(rules, names, moment, now)
            return
        # One report and one (story, outlet) pair, shared by every key the sighting counts.
        pair = (story_id, outlet)
        report = (now, story_id, outlet)
        life = memory.lives.get(story_id)
        if life is None:
            self._open_story(story_id, title, report, pair, into)
        elif now < life.opened + self._window:  # a story is judged in its first window only
            self._count(STORY, ((story_id, life.title),), report, pair, into, lives=memory.lives)
        if rules:  # a repeated key adds nothing: its pair is counted
            self._count(RULE, zip(rules, rules, strict=True), report, pair, into, lives=None)
        if names:
            self._count(NAME, names, report, pair, into, lives=None)

    def _count(
        self,
        kind: SurgeKind,
        keys: Iterable[tuple[str, str]],
        report: Report,
        pair: tuple[str, str],
        fired: list[Surge],
        *,
        lives: dict[str, StoryLife] | None,
    ) -> None:
        """One ``report`` of each (key, label) of ``kind`` (none when its ``pair``, its
        (story, outlet), is in the window already); a story's outlets in its first window
        counted in ``lives`` (the stories' for STORY, else None: every call says which,
        no default to forget) before it is judged on them. A key with ``min_count`` reports
        or more (before expiring) has its window expired (also of a kind turned off: its
        reports stay bounded), then the guards, cheapest first: its kind on and warmed up
        (asked once for all the keys), ``min_count`` reports, no cool-down, ``min_outlets``
        outlets; only then is it tested (``_test``). The hottest loop of the detector,
        hence the locals and the guards written out."""
        now, (min_count, min_outlets) = report[0], self._mins
        start, forget = now - self._window, self._forget
        judged, tracks = self._judged[kind], self._memory.tracks[kind]
        for key, label in keys:
            track = tracks.get(key)
            if not isinstance(track, Track):  # new or seen once: a lone report or promoted
                track = self._grown(kind, key, label, report, track)
                if track is None:  # held as its first report (a story's outlet counted)
                    continue
            pairs, reports = track.pairs, track.reports
            if pair not in pairs:  # ``Track.add_report`` inlined for a new pair (most reports)
                pairs.add(pair)
                reports.append(report)
            elif not track.add_report(report, pair, start, forget):  # in the window already
                continue
            if lives is not None:
                lives[key].first_outlets += 1
            if len(reports) < min_count:
                continue
            if reports[0][0] < start:
                track.expire(start, forget)
            if not judged or len(reports) < min_count or track.cooled_until > now:
                continue
            if (len(reports) >= track.fires_from or now >= track.bound_until) and len(
                set(map(outlet_of, reports))
            ) >= min_outlets:  # not below a count its test cannot fire at (``_bound``)
                surge = self._test(kind, key, track, now)
                if surge is not None:
                    fired.append(surge)

    def _grown(
        self, kind: SurgeKind, key: str, label: str, report: Report, first: FirstReport | None
    ) -> Track | None:
        """A key without a window: its first report kept alone (None: counted, nothing to
        judge yet), else the key promoted to a :class:`Track` for ``report`` to be added."""
        if first is None and kind is STORY:
            life = self._memory.lives[key]
            if life.outlet is not None:  # held by its first outlet alone
                return second_outlet(self._memory, key, life, life.outlet, report)
        first = first or self._new_track(kind, key, label)
        if first.report is None and self.settings.min_count > 1:
            first.report = report
            if kind is STORY:
                self._memory.lives[key].first_outlets += 1
            return None
        track = self._memory.tracks[kind][key] = first.promoted()
        return track

    def remember(self, sighting: Sighting) -> None:
        """Count a sighting known to be history (a new feed's undated backlog) into its
        rules' and names' baselines only: it fires nothing and opens no story."""
        moment = sighting.at.timestamp()
        self._remember(sighting.rules, sighting.names, moment, self._advance(moment))

    def _remember(self, rules: Rules, names: Names, moment: float, now: float) -> None:
        """A sighting older than the window goes into its rules' and names' baselines."""
        keys = [(SurgeKind.RULE, rule, rule) for rule in dict.fromkeys(rules)]
        keys += [(SurgeKind.NAME, key, shown) for key, shown in dict(names).items()]
        for kind, key, label in keys:  # each key once: a report straight into a baseline
            track = self._memory.tracks[kind].get(key) or self._new_track(kind, key, label)
            track.remember(moment, now, self._forget)

    def rising(self, moment: datetime) -> list[Rising]:
        """Keys above their baseline now that have not fired and could (their kind on,
        warmed up, from enough outlets), most improbable first."""
        found, now = [], moment.timestamp()
        if not self._warm(now):
            return []
        for kind, tracks in self._memory.tracks.items():
            for key, track in tracks.items() if self._kinds[kind] else ():
                track.expire(now - self._window, self._forget)
                if not isinstance(track, Track) or not self._may_rise(kind, track, now):
                    continue
                expected, score = self._judge(kind, key, track, now)
                if track.count > expected and score >= RISING_SCORE:
                    folded = self._folded_into(kind, track)
                    item = Rising(kind, key, track.label, track.count, expected, score, folded)
                    found.append(item)
        found.sort(key=lambda rising: (-rising.score, rising.kind.value, rising.key))
        return found[:RISING_LIMIT]

    def _may_rise(self, kind: SurgeKind, track: Track, now: float) -> bool:
        if track.count < 2 or track.cooled_until > now:
            return False
        return track.outlets() >= self.settings.min_outlets

    def tracked(self) -> dict[SurgeKind, int]:
        """How many keys of each kind are held in memory (a story in its first window
        counts, held by its first outlet or by a track)."""
        memory = self._memory
        held = {kind: len(tracks) for kind, tracks in memory.tracks.items()}
        lives = [memory.lives.get(story_id) for story_id in memory.unsampled]
        held[SurgeKind.STORY] += sum(life is not None and life.outlet is not None for life in lives)
        return held

    def _new_track(self, kind: SurgeKind, key: str, label: str) -> FirstReport:
        tracks = self._memory.tracks[kind]
        if kind is NAME and len(tracks) >= self.settings.max_names:
            self._trim_names()
        memory = self._memory
        born = memory.clock or 0.0
        first = tracks[key] = FirstReport(label, 0.0, 0.0, 0.0, memory.exposure, born)
        return first

    def _open_story(
        self, story_id: str, title: str, report: Report, pair: Pair, fired: list[Surge]
    ) -> None:
        """A story's first report. Most articles open a story, and with ``min_count`` above
        one its first report can only be held: its life keeps its outlet, without
        ``_count``'s loop and guards and without a track (docs/decisions/0060, 0094)."""
        memory, now = self._memory, report[0]
        memory.opened.append(story_id)
        memory.unsampled.append(story_id)
        if (ends := now + self._first_end) < self._sweep_due:  # its end before the others'
            self._sweep_due = ends
        if self._mins[0] < 2 or story_id in memory.tracks[STORY]:  # counted
            memory.lives[story_id] = StoryLife(now, title)
            self._count(STORY, ((story_id, title),), report, pair, fired, lives=memory.lives)
            return
        # Its one report is its outlet, kept by its life: no track until a second outlet.
        memory.lives[story_id] = StoryLife(now, title, 1, False, report[2])

    def _test(self, kind: SurgeKind, key: str, track: Track, now: float) -> Surge | None:
        """A key past ``_count``'s guards: the test, then the spread of a rule's or name's
        reports over stories (a pass over them: only for a count that would fire)."""
        expected, score = self._judge(kind, key, track, now, floor=self._threshold)
        if score < self._threshold:
            if kind is not SurgeKind.STORY:
                self._bound(track, now)
            return None
        if kind is not SurgeKind.STORY and not self._spread(track):
            return None
        track.cooled_until = now + self.settings.cooldown_hours * HOUR
        return surge_of(kind, key, track, now, (expected, score), title_of=self._title_of)

    def _title_of(self, story_id: str) -> str:
        life = self._memory.lives.get(story_id)
        return life.title if life is not None else ""

    def _folded_into(self, kind: SurgeKind, track: Track) -> tuple[str, str] | None:
        """(story_id, title) of the story a rule's or name's reports fold into, if any."""
        if kind is SurgeKind.STORY or not self._kinds[SurgeKind.STORY]:
            return None
        story_id = folded_story(track)
        return None if story_id is None else (story_id, self._title_of(story_id))

    def _spread(self, track: Track) -> bool:
        """A rule's or name's reports come from enough stories and, while story surges
        are on, no story holds more than half of them: a burst of one story is that
        story's surge, judged by its outlets' arrival (one burst, one flag)."""
        return spread(track, self.settings.min_stories, one_story=self._kinds[SurgeKind.STORY])

    def _warm(self, now: float) -> bool:
        started = self._memory.started
        return started is not None and now - started >= self.settings.warmup_hours * HOUR

    def _judge(
        self, kind: SurgeKind, key: str, track: Track, now: float, floor: float = 0.0
    ) -> Score:
        """The expected count in the window and the count's score under the baseline (a
        score below ``floor`` may be a bound of it: see ``negbin_score``)."""
        memory = self._memory
        if kind is SurgeKind.STORY:
            life = memory.lives.get(key)
            return story_score(life, now, self._window, memory.stories_seen, floor)
        window = self._window_exposure(now)
        return key_score(track, now, self._forget, memory.exposure, window, floor=floor)

    def _window_exposure(self, now: float) -> float:
        """The window's profile-weighted hours, kept for the clock's time: the profile
        changes only when the clock moves."""
        if self._exposure_at == now:
            return self._exposure_then
        exposure = window_exposure(self._memory.profile, now - self._window, now)
        self._exposure_at, self._exposure_then = now, exposure
        return exposure

    def _bound(self, track: Track, now: float) -> None:
        """A rule's or name's test that did not fire: the count below which no test can
        fire until the clock's hour ends, which ``_count`` then skips (0094)."""
        memory, until = self._memory, (now // HOUR + 1) * HOUR
        track.fires_from = key_fires_from(
            track, now, until, forget=self._forget, exposure=memory.exposure,
            profile=memory.profile, window=self._window, threshold=self._threshold,
        )  # fmt: skip
        track.bound_until = until

    def _advance(self, moment: float) -> float:
        """Move the clock to ``moment`` (never back): exposure, profile, story sweeps."""
        memory = self._memory
        if memory.clock is None:
            memory.started = memory.clock = moment
        now = max(memory.clock, moment)
        if now > memory.clock:
            self._pass_time(memory.clock, now)
            memory.clock = now
            if now >= self._sweep_due:  # nothing to sweep while the clock stands still
                self._sweep_due = sweep_stories(
                    memory,
                    now,
                    window=self._window,
                    story_span=self._story_span,
                    forget=self._forget,
                )
        memory.profile.add_article(int(now // HOUR))
        self._warm_up(now)
        return now

    def _pass_time(self, start: float, end: float) -> None:
        """Exposure and the profile's hours, an hour-of-week slot at a time (mostly the
        clock moves within one hour: no slicing then)."""
        if end <= (start // HOUR + 1) * HOUR:
            self._pass_slice(start, end)
            return
        for slice_start, slice_end in hour_slices(start, end):
            self._pass_slice(slice_start, slice_end)

    def _pass_slice(self, start: float, end: float) -> None:
        memory = self._memory
        hours, factor = (end - start) / HOUR, memory.profile.factor(slot_of(start))
        memory.exposure = memory.exposure * math.exp(-self._forget * (end - start)) + hours * factor
        memory.profile.add_time(int(start // HOUR), hours)

    def _trim_names(self) -> None:
        """At the cap: drop the weakest tenth of the names, so trimming is rare."""
        now, keep = self._memory.clock or 0.0, int(self.settings.max_names * 0.9)
        trim(self._memory.tracks[SurgeKind.NAME], keep, now, self._window, self._forget)


def backtest(sightings: Iterable[Sighting], settings: SurgeSettings) -> list[Surge]:
    """Every surge a fresh detector fires over ``sightings`` (in time order): pure."""
    detector = SurgeDetector(settings)
    return [surge for sighting in sightings for surge in detector.observe(sighting)]
