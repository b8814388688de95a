"""``/silences``: list, create and expire silences, as ``wirewatch silence`` does.

A silence names a rule, a story, a notifier, or a combination (at least a rule or a
story); an unknown rule or notifier is refused, as on the command line. Expiring one
ends it now and keeps it, so ``?all=true`` still shows it.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator

from monitor.api.models import QueryModel
from monitor.api.paging import UtcTime
from monitor.api.problems import ApiError, InvalidParam, not_found
from monitor.api.routing import Call, Endpoint, Reply
from monitor.api.source import ApiSource
from monitor.config import ApiScope
from monitor.records import Silence as SilenceRecord

MAX_SPAN = timedelta(days=366)


class Silence(BaseModel):
    silence_id: int
    rule: str
    story_id: str
    notifier: str
    reason: str
    created_at: UtcTime
    expires_at: UtcTime
    active: bool

    @classmethod
    def from_record(cls, record: SilenceRecord, now: UtcTime) -> Silence:
        assert record.silence_id is not None, "a stored silence has its id"
        return cls(
            silence_id=record.silence_id, rule=record.rule, story_id=record.story_id,
            notifier=record.notifier, reason=record.reason, created_at=record.created_at,
            expires_at=record.expires_at, active=record.active(now),
        )  # fmt: skip


class SilenceList(BaseModel):
    items: list[Silence] = Field(description="soonest to expire first")


class SilenceQuery(QueryModel):
    all: bool = Field(False, description="expired ones too")


class NewSilence(BaseModel):
    """A silence to add: ``rule`` or ``story_id`` (or both), for ``duration_seconds``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"anyOf": [
            {"required": ["rule"], "properties": {"rule": {"minLength": 1}}},
            {"required": ["story_id"], "properties": {"story_id": {"minLength": 1}}},
        ]},
    )  # fmt: skip

    rule: str = Field("", max_length=200)
    story_id: str = Field("", max_length=200)
    notifier: str = Field("", max_length=200, description="only on this notifier")
    reason: str = Field(min_length=1, max_length=1000)
    duration_seconds: int = Field(ge=60, le=int(MAX_SPAN.total_seconds()))

    @model_validator(mode="after")
    def _names_something(self) -> NewSilence:
        if not (self.rule or self.story_id):
            raise ValueError("a silence needs a rule or a story_id")
        return self


def silence_endpoints(source: ApiSource) -> list[Endpoint]:
    async def list_silences(call: Call) -> Reply:
        found = await source.store.silences(None if call.query.all else call.now)
        items = [Silence.from_record(item, call.now) for item in found]
        return Reply(SilenceList(items=items))

    async def create_silence(call: Call) -> Reply:
        wanted: NewSilence = call.body
        _check_names(source, wanted)
        silence = await source.store.add_silence(SilenceRecord(
            reason=wanted.reason, created_at=call.now,
            expires_at=call.now + timedelta(seconds=wanted.duration_seconds), rule=wanted.rule,
            story_id=wanted.story_id, notifier=wanted.notifier,
        ))  # fmt: skip
        location = (("Location", f"/api/v1/silences/{silence.silence_id}"),)
        return Reply(Silence.from_record(silence, call.now), 201, location)

    async def get_silence(call: Call) -> Reply:
        silence_id = int(call.path["silence_id"])
        found = await source.store.silence(silence_id)
        if found is None:
            raise not_found("silence", silence_id)
        return Reply(Silence.from_record(found, call.now))

    async def expire_silence(call: Call) -> Reply:
        silence_id = int(call.path["silence_id"])
        if not await source.store.expire_silence(silence_id, call.now):
            if await source.store.silence(silence_id) is None:
                raise not_found("silence", silence_id)
            raise ApiError(409, "already-expired", f"silence {silence_id} has expired already")
        found = await source.store.silence(silence_id)
        assert found is not None, "an expired silence is kept"
        return Reply(Silence.from_record(found, call.now))

    ids = {"silence_id": int}
    return [
        Endpoint("GET", "/silences", list_silences, "List silences", "silences", SilenceList,
                 query=SilenceQuery),
        Endpoint("POST", "/silences", create_silence, "Add a silence", "silences", Silence,
                 status=201, scope=ApiScope.WRITE, body=NewSilence, errors=(422,)),
        Endpoint("GET", "/silences/{silence_id}", get_silence, "One silence", "silences",
                 Silence, path_types=ids),
        Endpoint("DELETE", "/silences/{silence_id}", expire_silence, "Expire a silence now",
                 "silences", Silence, scope=ApiScope.WRITE, path_types=ids, errors=(409,)),
    ]  # fmt: skip


def _check_names(source: ApiSource, wanted: NewSilence) -> None:
    config = source.config()
    errors = []
    if wanted.rule and wanted.rule not in {rule.name for rule in config.ruleset.rules}:
        errors.append(InvalidParam(name="rule", reason=f"unknown rule {wanted.rule!r}"))
    if wanted.notifier and wanted.notifier not in config.notifiers:
        errors.append(InvalidParam(name="notifier", reason=f"unknown notifier {wanted.notifier!r}"))
    if errors:
        raise ApiError(422, "unknown-name", "the body names what is not configured",
                       errors=errors)  # fmt: skip
