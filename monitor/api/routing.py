"""The API's route table: each endpoint declared once, served and documented from that.

An :class:`Endpoint` names its method, path template (``/stories/{story_id}``), scope,
and the pydantic models of its query, body and answer. :class:`Router` serves them:
it checks who calls (:mod:`monitor.api.access`) and how often, validates the query and
body against those models, runs the handler, and writes the answer through the same
model; :mod:`monitor.api.openapi` writes the OpenAPI document from the same table, so
the document cannot drift from what is served. Anything that goes wrong is a problem
document (:mod:`monitor.api.problems`); a handler's crash is logged and is a 500 for
that request only.

To add an endpoint (the feedback routes do): write a handler taking a :class:`Call` and
returning a :class:`Reply` (or raising ``ApiError``), and ``router.add(Endpoint(...))``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

import structlog
from pydantic import BaseModel, ValidationError

from monitor.api.access import (
    Caller,
    Known,
    RateLimiter,
    identify,
    is_loopback,
    known_tokens,
    require,
    throttle,
)
from monitor.api.problems import ApiError, InvalidParam
from monitor.config import ApiScope, ApiSettings, ListenerSettings
from monitor.listener import API_PREFIX, Request, Response

log = structlog.get_logger("monitor.api.routing")

PREFIX = API_PREFIX  # one definition: the early responder leaves it to the API too
JSON = "application/json"
MAX_ID = 2**63 - 1  # an integer path parameter fits a 64-bit column


@dataclass(frozen=True, slots=True)
class Call:
    """One request as a handler sees it: validated, from a known caller."""

    request: Request
    caller: Caller
    path: Mapping[str, str | int]  # the path template's parameters
    query: Any  # an instance of the endpoint's query model, or None
    body: Any  # an instance of the endpoint's body model, or None
    now: datetime


@dataclass(frozen=True, slots=True)
class Reply:
    """What a handler answers: an instance of its endpoint's response model (None: 204)."""

    body: BaseModel | None
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()


Handler = Callable[[Call], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str  # under PREFIX; "{name}" is a path parameter
    handler: Handler
    summary: str
    tag: str
    response: type[BaseModel] | None  # None: 204 No Content
    status: int = 200
    scope: ApiScope = ApiScope.READ
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    path_types: Mapping[str, type] = field(default_factory=dict)  # int parameters; else str
    errors: tuple[int, ...] = ()  # problem statuses besides those every endpoint has
    description: str = ""
    public: bool = False  # served without a token when tokens are configured

    @property
    def operation_id(self) -> str:
        return self.handler.__name__.lstrip("_")

    def match(self, segments: list[str]) -> dict[str, str] | None:
        template = self.path.strip("/").split("/")
        if len(template) != len(segments):
            return None
        found = {}
        for part, segment in zip(template, segments, strict=True):
            if part.startswith("{"):
                if not segment:
                    return None
                found[part[1:-1]] = segment
            elif part != segment:
                return None
        return found


@dataclass(frozen=True, slots=True)
class Settings:
    """What the router reads at each request: a reload changes tokens and limits."""

    api: Callable[[], ApiSettings]
    listener: Callable[[], ListenerSettings]
    clock: Callable[[], datetime]


class Router:
    """Every endpoint under :data:`PREFIX`, served as one listener route per method."""

    def __init__(self, settings: Settings, limiter: RateLimiter | None = None) -> None:
        self.settings = settings
        self.endpoints: list[Endpoint] = []
        self._limiter = limiter or RateLimiter()

    def add(self, endpoint: Endpoint) -> None:
        self.endpoints.append(endpoint)

    async def handle(self, request: Request) -> Response:
        try:
            return await self._serve(request)
        except ApiError as problem:
            return problem.response(request.path)
        except Exception:
            log.exception("api_handler_crashed", path=request.path, method=request.method)
            return ApiError(500, "internal", "the request failed").response(request.path)

    async def _serve(self, request: Request) -> Response:
        api = self.settings.api()
        if not api.enabled:
            raise ApiError(404, "not-found", "the API is turned off")
        tokens = known_tokens(api, self.settings.listener())
        if not tokens and not is_loopback(request.client):  # before telling any route
            raise ApiError(403, "loopback-only", "no API token is configured: loopback only")
        endpoint, path = self._route(request)
        caller = self._admit(request, endpoint, api, tokens)
        call = Call(request, caller, _path_values(endpoint, path),
                    _model(endpoint.query, _query(request), "query"),
                    _body(endpoint, request), self.settings.clock())  # fmt: skip
        reply = await endpoint.handler(call)
        if request.method != "GET":
            log.info("api_write", caller=caller.name, method=request.method,
                     path=request.path, status=reply.status)  # fmt: skip
        return _response(reply)

    def _route(self, request: Request) -> tuple[Endpoint, dict[str, str]]:
        segments = request.path.removeprefix(PREFIX).strip("/").split("/")
        if not request.path.startswith(PREFIX + "/"):
            raise ApiError(404, "not-found", "no such route")
        matched = [(e, found) for e in self.endpoints if (found := e.match(segments)) is not None]
        for endpoint, found in matched:
            if endpoint.method == request.method:
                return endpoint, found
        if matched:
            allowed = ", ".join(sorted({endpoint.method for endpoint, _ in matched}))
            raise ApiError(405, "method-not-allowed", f"allowed: {allowed}",
                             headers=(("Allow", allowed),))  # fmt: skip
        raise ApiError(404, "not-found", "no such route")

    def _admit(
        self, request: Request, endpoint: Endpoint, api: ApiSettings, tokens: list[Known]
    ) -> Caller:
        if endpoint.public and tokens:
            caller = Caller("anonymous", ApiScope.READ)
            throttle(self._limiter, f"address:{request.client}", api)
            return caller
        try:
            caller = identify(request, tokens)
        except ApiError:
            throttle(self._limiter, f"address:{request.client}", api)
            raise
        throttle(self._limiter, f"token:{caller.name}", api)
        require(caller, endpoint.scope)
        return caller


def _path_values(endpoint: Endpoint, found: dict[str, str]) -> dict[str, str | int]:
    values: dict[str, str | int] = {}
    for name, text in found.items():
        if endpoint.path_types.get(name) is int:
            if not (text.isascii() and text.isdigit()) or int(text) > MAX_ID:
                raise _invalid(name, f"not a whole number from 0 to {MAX_ID}")
            values[name] = int(text)
        else:
            values[name] = text
    return values


def _model(model: type[BaseModel] | None, data: object, where: str) -> Any:
    if model is None:
        return None
    try:
        return model.model_validate(data)
    except ValidationError as err:
        errors = [InvalidParam(name=".".join(map(str, e["loc"])) or where, reason=e["msg"])
                  for e in err.errors(include_url=False, include_input=False)]  # fmt: skip
        raise ApiError(400, "invalid-parameter", f"invalid {where}", errors=errors) from None


def _query(request: Request) -> dict[str, str]:
    """Every parameter, blank ones too (``?since=`` is an invalid time, not no time);
    the last value of a repeated one."""
    return dict(parse_qsl(request.query_string, keep_blank_values=True))


def _body(endpoint: Endpoint, request: Request) -> Any:
    if endpoint.body is None:
        return None
    kind = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if kind != JSON:
        raise ApiError(415, "unsupported-media-type", "send the body as application/json")
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "invalid-body", "the body is not JSON") from None
    return _model(endpoint.body, data, "body")


def _invalid(name: str, reason: str) -> ApiError:
    errors = [InvalidParam(name=name, reason=reason)]
    return ApiError(400, "invalid-parameter", f"invalid {name}", errors=errors)


def _response(reply: Reply) -> Response:
    if reply.body is None:
        return Response(reply.status, b"", JSON, reply.headers)
    body = reply.body.model_dump_json().encode()
    return Response(reply.status, body, JSON, reply.headers)
