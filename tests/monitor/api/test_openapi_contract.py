"""The API against its own OpenAPI document, on the real listener: a property-based
client (schemathesis) calls every operation with generated parameters and bodies; no
answer may be a 500, and every answer must match the document (status, content type,
headers, body schema). Bounded and derandomized: the same cases in every run."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, cast

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from monitor.api import ApiSource, build_router
from monitor.api.openapi import openapi_document
from monitor.config import Config
from monitor.store import Store
from tests.support.api_world import NOW, serve_in_thread, write_config

if TYPE_CHECKING:
    from schemathesis.specs.openapi.schemas import OpenApiCase

WRITE = "contract-write-token-" + "w" * 16


@pytest.fixture(scope="module")
def api_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TEST_API_READ", "contract-read-token-" + "r" * 16)
        patch.setenv("TEST_API_WRITE", WRITE)
        tokens = {"read_env": "TEST_API_READ", "write_env": "TEST_API_WRITE"}
        config = write_config(tmp_path_factory.mktemp("contract"), tokens=tokens)
        with serve_in_thread(config) as url:
            yield url


# The document as the route table writes it; the served one is checked to be the same.
# (Loaded here, not from a fixture: schemathesis's lazy loader does not work on pytest 9.)
_UNREAD = ApiSource(cast(Store, None), cast(Callable[[], Config], None), lambda: NOW)
DOCUMENT = openapi_document(build_router(_UNREAD).endpoints)
# 422: a body naming a rule or notifier that is not configured (the document cannot know
# the config's names); every other check as schemathesis has it.
CONFIG = SchemathesisConfig.from_dict({"checks": {"positive_data_acceptance": {
    "expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]}}})  # fmt: skip
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_answer_matches_the_document(api_url: str, case: OpenApiCase) -> None:
    base = api_url.removesuffix("/api/v1")
    # No made-up cursors: only one this API gave out is valid (a 400 otherwise), which no
    # schema can say; test_paging follows real ones.
    if case.query:
        case.query.pop("cursor", None)
    case.call_and_validate(base_url=base, headers={"Authorization": f"Bearer {WRITE}"})


def test_the_document_is_openapi_3_1_and_lists_every_route(api_url: str) -> None:
    import httpx  # noqa: PLC0415

    document = httpx.get(api_url + "/openapi.json").json()
    assert document == DOCUMENT
    assert document["openapi"] == "3.1.0"
    assert sorted(document["paths"]) == [
        "/api/v1/alerts", "/api/v1/alerts/{alert_id}", "/api/v1/alerts/{alert_id}/feedback",
        "/api/v1/feeds", "/api/v1/openapi.json",
        "/api/v1/rules", "/api/v1/silences", "/api/v1/silences/{silence_id}", "/api/v1/stories",
        "/api/v1/stories/{story_id}", "/api/v1/surges",
    ]  # fmt: skip
