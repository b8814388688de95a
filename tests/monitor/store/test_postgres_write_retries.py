"""A write redone whole gets a budget of tries per cause (decision 0088): five, plus one per
article for a story opened elsewhere meanwhile (each such retry folds one of its stories
for good); a serialization failure or a deadlock gets the plain five, whatever its size."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import psycopg
import pytest

from monitor.records import AlertRecord
from monitor.store.interface import ArticleRecord
from monitor.store.postgres.store import PostgresStore
from monitor.store.postgres.story_sync import OpenedMeanwhileError
from tests.support.publishing import article_record, stored_articles
from tests.support.stores import POSTGRES_URL, postgres_schema

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="WIREWATCH_TEST_POSTGRES_URL is unset"),
]

SERIAL = psycopg.errors.SerializationFailure
DEADLOCK = psycopg.errors.DeadlockDetected
OPENED = OpenedMeanwhileError


class Failing(PostgresStore):
    """A store whose tries fail with ``errors``, one a try in order, then write for real."""

    def __init__(self, url: str, errors: Sequence[type[Exception]]) -> None:
        super().__init__(url, max_size=2)
        self.errors = list(errors)
        self.tries = 0

    async def _record_articles(self, records: Sequence[ArticleRecord]) -> list[list[AlertRecord]]:
        self.tries += 1
        if self.tries <= len(self.errors):
            raise self.errors[self.tries - 1]("refused for the test")
        return await super()._record_articles(records)


@pytest.fixture(name="url")
async def _url() -> AsyncIterator[str]:
    async with postgres_schema() as location:
        yield location


# A write of three articles: five tries for a serialization failure or a deadlock, eight
# for a story opened meanwhile; each cause spends its own budget.
CASES = [
    ("serialization failures: the fifth try lands", [SERIAL] * 4, 5),
    ("serialization failures: the fifth fails", [SERIAL] * 5, None),
    ("deadlocks: the fifth try lands", [DEADLOCK] * 4, 5),
    ("deadlocks: the fifth fails", [DEADLOCK] * 5, None),
    ("opened meanwhile: the eighth try lands", [OPENED] * 7, 8),
    ("opened meanwhile: the eighth fails", [OPENED] * 8, None),
    ("folds spend none of the plain five", [OPENED] * 7 + [SERIAL] * 4, 12),
    ("nor the plain five the folds'", [SERIAL] * 4 + [OPENED] * 8, None),
    ("each plain cause its own five", [SERIAL] * 4 + [DEADLOCK] * 4, 9),
    ("interleaved: the fifth deadlock fails", [DEADLOCK, SERIAL, OPENED] * 4 + [DEADLOCK], None),
]


@pytest.mark.parametrize(("errors", "lands_on"), [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])  # fmt: skip
async def test_a_write_is_tried_as_often_as_its_causes_budgets_allow(
    url: str, errors: list[type[Exception]], lands_on: int | None
) -> None:
    store = Failing(url, errors)
    await store.open()
    try:
        records = [article_record("one"), article_record("two"), article_record("three")]
        if lands_on is None:
            with pytest.raises(errors[-1]):
                await store.record_articles(records)
            assert store.tries == len(errors)
            assert await stored_articles(store) == {}
        else:
            await store.record_articles(records)
            assert store.tries == lands_on
            assert set(await stored_articles(store)) == {"a-one", "a-two", "a-three"}
    finally:
        await store.close()
