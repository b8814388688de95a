"""Errors as RFC 9457 problem documents (``application/problem+json``).

Every error the API answers, from a bad parameter to a crash, is a :class:`Problem`:
``type`` names the kind (a URN under ``urn:wirewatch:problem:``, stable across versions),
``title`` says it in words that never change for a type, ``detail`` says what happened
this time, ``instance`` is the request's path, and ``errors`` lists each invalid
parameter. No detail ever carries a token, a stored secret or an exception's text.
"""

from __future__ import annotations

from http import HTTPStatus

from pydantic import BaseModel, Field

from monitor.listener import Response

PROBLEM_JSON = "application/problem+json"
_TYPE = "urn:wirewatch:problem:"


class InvalidParam(BaseModel):
    """One parameter (query, path or body field) that could not be used, and why."""

    name: str = Field(description="the parameter, or the body field's dotted path")
    reason: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(description="a URN naming the kind of problem")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str = ""
    instance: str = Field("", description="the request's path")
    errors: list[InvalidParam] = Field(default_factory=list)


class ApiError(Exception):
    """Raised by a handler (or the router) to answer with a problem document."""

    def __init__(
        self,
        status: int,
        kind: str,
        detail: str = "",
        *,
        errors: list[InvalidParam] | None = None,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        super().__init__(detail or kind)
        self.status, self.kind, self.detail = status, kind, detail
        self.errors = errors or []
        self.headers = headers

    def document(self, instance: str) -> Problem:
        return Problem(
            type=_TYPE + self.kind,
            title=HTTPStatus(self.status).phrase,
            status=self.status,
            detail=self.detail,
            instance=instance,
            errors=self.errors,
        )

    def response(self, instance: str) -> Response:
        body = self.document(instance).model_dump_json().encode()
        return Response(self.status, body, PROBLEM_JSON, self.headers)


def not_found(what: str, key: str | int) -> ApiError:
    return ApiError(404, "not-found", f"no {what} {key}")
