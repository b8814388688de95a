"""The surge stage of the ingest path: each stored article is one sighting for the
surge detector (monitor.surges); what fires is recorded, logged and handed to the sink.

The detector's state is read back at start, saved every ``[surge] save_interval``, as
soon as surges fire (so their cooldowns outlive a crash) and at shutdown, so a restart
goes on where it stopped. ``[surge] enabled = false`` builds no stage: the path then
costs one ``None`` test per poll.

The articles of the polls that reach the stage together (those one group commit let go)
are counted in one pass, in the order they were handed in: the detector's structures stay
warm from one article to the next instead of going cold behind each poll's other work, and
every article is counted exactly as it would be alone (docs/decisions/0060). A poll its
commit let go alone is counted at once: nothing could join it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import structlog

import rules
from monitor.config import SurgeSettings
from monitor.ingest.batch import Ingested
from monitor.ingest.surge_names import (
    EntityNames,
    entity_names,
    matched_rules,
    names_of,
    sighting_of,
)
from monitor.records import Verdict
from monitor.store import Store, StoreNotWritableError
from monitor.surges import (
    Surge,
    SurgeDetector,
    SurgeStateError,
    encode_state,
    sighted_at,
)

log = structlog.get_logger("monitor.ingest.surges")

# Verdict.SEEN as a global, for the reason given at monitor.surges.model's kind constants
# (a poll let go alone is one article).
_SEEN = Verdict.SEEN

# One count's polls' surges, each poll's own (in the order handed in), once recorded;
# a poll whose counting raised has its error in its place.
Counting = asyncio.Future[list[list[Surge] | Exception]]

# Where surges go to be recorded (with their alerts, in one transaction): the alerting
# of surges hooks in here (one call per batch of surges, in the order they fired).
SurgeSink = Callable[[Sequence[Surge]], Awaitable[None]]


class SurgeCountError(Exception):
    """A poll's surge counting raised (its ``__cause__``), which the stage logs once with
    its ``feed_url`` (``surge_count_failed``); ``fired``, what the poll's articles before the
    fault made fire, is recorded all the same (their cooldowns are in the detector)."""

    def __init__(self, feed_url: str, error: Exception, fired: list[Surge]) -> None:
        super().__init__(f"surge count: {type(error).__name__}: {error}")
        self.feed_url, self.fired = feed_url, fired


class Handed(NamedTuple):
    """One poll's newly stored articles as handed to the stage, waiting to be counted:
    ``entities``, the entity names of the rule set they were matched with; on a feed's
    ``first_poll`` an undated article is its backlog (history, not news)."""

    ingested: Sequence[Ingested]
    entities: EntityNames
    first_poll: bool = False


def count_poll(
    detector: SurgeDetector,
    ingested: Sequence[Ingested],
    entities: EntityNames,
    first_poll: bool = False,
) -> list[Surge]:
    """Each stored article of one poll, in order, counted by ``detector``: what they made
    fire (in the order it fired). Each article is handed to ``SurgeDetector.count`` by
    the fields of its sighting (as ``sighting_of`` reads them), no ``Sighting`` built;
    on a feed's ``first_poll`` an undated article is its backlog (``remember``). A count
    that raises raises ``SurgeCountError`` with what the articles before it made fire."""
    fired: list[Surge] = []
    count, seen = detector.count, _SEEN
    try:
        for item in ingested:
            decision = item.decision
            if decision.verdict is seen:
                continue
            article, matches, facts = item.article, item.matches, decision.facts
            published = article.published
            if first_poll and published is None:
                detector.remember(sighting_of(item, entities))
                continue
            count(
                sighted_at(published, article.fetched_at).timestamp(),
                decision.story_id,
                facts.outlet or article.feed_url,
                article.title,
                rules=matched_rules(matches) if matches else (),
                names=names_of(facts.places, facts.actors, matches, entities),
                into=fired,
            )
    except Exception as err:  # the detector's cooldowns hold what fired: it must be kept
        feed_url = ingested[0].article.feed_url if ingested else ""
        raise SurgeCountError(feed_url, err, fired) from err
    return fired


def count_polls(
    detector: SurgeDetector, handed: Iterable[Handed], failed: dict[int, Exception] | None = None
) -> list[list[Surge]]:
    """Each stored article of ``handed``, in order, counted by ``detector``: per poll, what
    its own articles made fire (in the order it fired). The same calls, in the same order,
    as counting them one poll at a time (``count_poll``). With ``failed``, a poll whose
    counting raises is noted there (by its place, its ``SurgeCountError`` holding what its
    articles before the fault fired; nothing in its slot) and logged, and the polls after
    it are counted all the same, as they would be one at a time."""
    if failed is None:
        return [count_poll(detector, *poll) for poll in handed]
    return [_count_or_note(detector, poll, number, failed) for number, poll in enumerate(handed)]


def _count_or_note(
    detector: SurgeDetector, poll: Handed, number: int, failed: dict[int, Exception]
) -> list[Surge]:
    counted = _count_logged(detector, poll)
    if isinstance(counted, list):
        return counted
    failed[number] = counted
    return []


def _count_logged(detector: SurgeDetector, poll: Handed) -> list[Surge] | SurgeCountError:
    """One poll counted; a count that raises is logged here, once (``surge_count_failed``),
    and handed back: the poll's caller gets it as the poll's error and says no more."""
    try:
        return count_poll(detector, *poll)
    except SurgeCountError as err:
        cause = err.__cause__
        log.error(
            "surge_count_failed", feed_url=err.feed_url,
            error=f"{type(cause).__name__}: {cause}", surges_kept=len(err.fired), exc_info=cause,
        )  # fmt: skip
        return err


def count_handed(detector: SurgeDetector, handed: Iterable[Handed]) -> list[Surge]:
    """``count_polls``'s surges, all polls' together, in the order they fired."""
    return _joined(count_polls(detector, handed))


@dataclass
class SurgeStage:
    """The detector, the store that keeps what fires and the detector's state, the sink."""

    detector: SurgeDetector
    store: Store
    sink: SurgeSink | None = None
    instance: str = ""  # ``[daemon] instance``: whose state row (empty: the unnamed daemon's)
    monotonic: Callable[[], float] = time.monotonic
    _saved_at: float = field(default=0.0, init=False)
    _unsaved: bool = field(default=False, init=False)  # observed something since the save
    _ruleset: rules.RuleSet | None = field(default=None, init=False)
    _entity_names: EntityNames = field(default_factory=EntityNames, init=False)
    _pending: list[Handed] = field(default_factory=list, init=False)  # handed, not counted
    # The count the articles handed in now join (None: the next poll starts one); done
    # when they are counted and what fired is recorded.
    _gathering: Counting | None = field(default=None, init=False)
    # Counts settling after their first poll was cancelled, held while they run.
    _orphans: set[asyncio.Future[None]] = field(default_factory=set, init=False)
    # Saves one at a time, each snapshot taken in its turn: two counts settling at once
    # must not write their states in another order than they took them (the older last).
    _saving: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)

    def __post_init__(self) -> None:
        self._saved_at = self.monotonic()

    @classmethod
    async def start(
        cls,
        settings: SurgeSettings,
        store: Store,
        sink: SurgeSink | None = None,
        instance: str = "",
    ) -> SurgeStage | None:
        """The stage with the state saved last, None when surges are off. A state this
        version cannot read is logged (``surge_state_unreadable``) and learning starts over."""
        if not settings.enabled:
            return None
        state = await store.load_surge_state(instance)
        try:
            detector = SurgeDetector(settings, state)
        except SurgeStateError as err:
            log.warning("surge_state_unreadable", error=str(err))
            detector = SurgeDetector(settings)
        return cls(detector, store, sink, instance)

    async def observe(
        self,
        ingested: Sequence[Ingested],
        ruleset: rules.RuleSet | None = None,
        first_poll: bool = False,
        *,
        alone: bool = False,
    ) -> list[Surge]:
        """Count each newly stored article (``ruleset``: whose entity lists name names);
        record, log and hand on what fired; return what this poll's own articles made
        fire. On a feed's ``first_poll`` an undated article is its backlog (any age, all
        counted at the fetch): history, not news.

        A poll its write let go ``alone`` (no other poll resumed with it) is counted at
        once, unless a count is gathering (it joins that one, after the polls before it).
        Else the first poll to arrive lets the event loop run once (``sleep(0)``, no
        timer), so the polls ready with it (those resumed by the same group commit) hand
        in their articles and wait for it; then it counts them all in one pass, in the
        order handed in, and records what fired. Counted even when the first poll is
        cancelled while it lets the others run (or by ``save``, at shutdown, if it comes
        first). Either way every article is counted as it would be alone (decision 0060).
        Cancelled mid-record, a poll goes at once; the record runs on (``_shielded``)."""
        entities = self._entities(ruleset)
        if alone and self._gathering is None:  # nothing can join it: counted at once
            self._unsaved = True
            counted = _count_logged(self.detector, Handed(ingested, entities, first_poll))
            if (fired := _fired_by(counted)) or self._save_due():
                await self._shielded(self._settle(fired))
            return _answer(counted)
        poll = len(self._pending)  # this poll's place in the count it joins
        self._pending.append(Handed(ingested, entities, first_poll))
        if (gathering := self._gathering) is None:  # none gathering: this poll starts one
            self._gathering = gathering = asyncio.get_running_loop().create_future()
        else:  # join it
            return _answer((await asyncio.shield(gathering))[poll])
        try:
            await asyncio.sleep(0)  # the polls ready now hand theirs in
        except asyncio.CancelledError:  # theirs and this one's counted all the same
            if self._gathering is gathering:
                self._orphan(self._settled(self._counted(gathering), gathering))
            raise
        if self._gathering is gathering:  # not counted by a save meanwhile; later: the next's
            await self._settle_counted(gathering)
        if not gathering.done():  # a save is recording them
            await asyncio.shield(gathering)
        return _answer(gathering.result()[poll])

    async def _settle_counted(self, gathering: Counting) -> None:
        """The articles handed in counted and settled, shielded when that records or saves
        (``_shielded``); else no task is made and no turn of the loop waited."""
        polls = self._counted(gathering)
        settling = self._settled(polls, gathering)
        fired = any(_fired_by(one) for one in polls)
        await (self._shielded(settling) if fired or self._save_due() else settling)

    async def _shielded(self, settling: Coroutine[None, None, None]) -> None:
        """A count's settling run to its end though its poll is cancelled mid-record (its
        surges would be lost): held as an orphan (``save`` awaits it), the poll let go."""
        orphan = self._orphan(settling)
        try:
            await asyncio.shield(orphan)
        except asyncio.CancelledError:  # shield keeps quiet about a failure nobody awaits
            orphan.add_done_callback(_failure_logged)
            raise

    def _orphan(self, settling: Coroutine[None, None, None]) -> asyncio.Future[None]:
        """Hold a count's settling whose poll was cancelled while it runs."""
        orphan = asyncio.ensure_future(settling)
        self._orphans.add(orphan)
        orphan.add_done_callback(self._orphans.discard)
        return orphan

    def _counted(self, gathering: Counting) -> list[list[Surge] | Exception]:
        """The articles handed in, counted (per poll, what fired); polls handed in from now
        on start the next count. A poll whose counting raises gets its error, as it would
        counted alone (logged once, ``surge_count_failed``, with the poll's feed_url), what
        its articles before the fault fired and the others' surges recorded. A count that raises
        outside any poll fails every poll of it: none is left waiting for ever."""
        self._gathering = None
        pending, self._pending = self._pending, []
        self._unsaved = self._unsaved or bool(pending)
        failed: dict[int, Exception] = {}
        try:
            polls = count_polls(self.detector, pending, failed)
            return [failed.get(number, fired) for number, fired in enumerate(polls)]
        except Exception as err:
            gathering.set_exception(err)
            gathering.exception()  # retrieved: the poll raising it reports it
            raise

    async def _settled(self, polls: list[list[Surge] | Exception], gathering: Counting) -> None:
        """What a count's polls fired recorded, then the polls let go (with its error, if any)."""
        try:
            await self._settle(_joined(polls))
        except Exception as err:
            gathering.set_exception(err)
            gathering.exception()  # retrieved: no poll may be left waiting for it
            raise
        finally:
            if not gathering.done():
                gathering.set_result(polls)

    async def _settle(self, fired: list[Surge]) -> None:
        """What fired recorded and the state saved at once (a crash now must not forget
        their cooldowns), or the state saved when ``save_interval`` has passed."""
        if fired:
            await self._fired(fired)
        if fired or self._save_due():
            await self._save()

    def _save_due(self) -> bool:
        return self.monotonic() - self._saved_at >= self.detector.settings.save_interval

    def _entities(self, ruleset: rules.RuleSet | None) -> EntityNames:
        """The entity names of ``ruleset``, built again only when a reload changed it."""
        if self._ruleset is not ruleset:
            self._ruleset, self._entity_names = ruleset, entity_names(ruleset)
        return self._entity_names

    async def save(self) -> None:
        """What the detector learned saved (nothing new: no write; a store refusing it is
        logged, not raised), after the counts still settling and the articles handed in but
        not yet counted (a shutdown): their surges are recorded before the state is saved."""
        if self._orphans:
            await asyncio.wait(set(self._orphans))
        if (gathering := self._gathering) is not None:
            await self._settled(self._counted(gathering), gathering)
        await self._save()

    async def _save(self) -> None:
        async with self._saving:
            await self._save_now()

    async def _save_now(self) -> None:
        if not self._unsaved:
            return
        self._saved_at, self._unsaved = self.monotonic(), False
        document = self.detector.snapshot_document()  # copied on the loop, encoded off it
        try:
            state = await asyncio.to_thread(encode_state, document)  # ~0.4 s at 18k names
            await self.store.save_surge_state(state, self.instance)
        except BaseException as err:  # refused, failed or cut off: the next save writes it
            self._unsaved = True  # (the shutdown's at the latest) though nothing is new
            if not isinstance(err, StoreNotWritableError):
                raise
            log.warning("surge_state_not_saved", error=str(err))

    async def _fired(self, fired: list[Surge]) -> None:
        for surge in fired:
            log.info(
                "surge_detected", surge_id=surge.surge_id, kind=surge.kind.value, key=surge.key,
                label=surge.label, count=surge.count, expected=surge.expected,
                outlets=surge.outlets, score=surge.score,
            )  # fmt: skip
        try:  # one write: the sink keeps the surges with their alerts in one transaction
            await (self.store.record_surges(fired) if self.sink is None else self.sink(fired))
        except Exception as err:  # any store failure: the articles are in, the poll succeeds
            for surge in fired:  # each was logged above with its evidence
                log.error(
                    "surge_record_failed", surge_id=surge.surge_id, kind=surge.kind.value,
                    key=surge.key, error=str(err) or type(err).__name__,
                )  # fmt: skip


def _joined(polls: Sequence[list[Surge] | Exception]) -> list[Surge]:
    if len(polls) == 1 and isinstance(fired := polls[0], list):
        return fired
    return [surge for fired in polls for surge in _fired_by(fired)]


def _fired_by(poll: list[Surge] | Exception) -> list[Surge]:
    """A poll's surges; of a poll whose count raised, those fired before the fault."""
    if isinstance(poll, SurgeCountError):
        return poll.fired
    return poll if isinstance(poll, list) else []


def _answer(fired: list[Surge] | Exception) -> list[Surge]:
    """A poll's own surges, or the error its counting raised."""
    if isinstance(fired, Exception):
        raise fired
    return fired


def _failure_logged(settling: asyncio.Future[None]) -> None:
    """A count's settling that failed after its poll was cancelled: nobody else hears."""
    if not settling.cancelled() and (err := settling.exception()) is not None:
        log.error("surge_settle_failed", error=f"{type(err).__name__}: {err}")
