"""``[api]``: the JSON API under ``/api/v1`` on the daemon's listener, and who may use it.

    [api]
    rate_limit = 600          # requests per minute per token (and per address without one)
    tokens = [
      { name = "ci", scope = "read", token_env = "WIREWATCH_API_CI" },
      { name = "ops", scope = "write", token_env = "WIREWATCH_API_OPS" },
    ]

A token's value never sits in the file: ``token_env`` names the environment variable
holding it, read when the config is loaded (an unset one, or a value shorter than 32
characters, is a config error naming the variable, never the value) and kept as a
``SecretStr``; a ``secret`` key in the file is refused. Its ``name`` is what logs show.
With no token configured the API answers loopback clients only (decision 0053).
"""

from __future__ import annotations

import os
import re
from enum import StrEnum

from pydantic import Field, SecretStr, field_validator, model_validator

from monitor.config.base import Section

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BEARER = re.compile(r"^[A-Za-z0-9._~+/-]+=*$")  # RFC 6750 b64token
MIN_TOKEN_LENGTH = 32  # as feedback_secret: too long to guess at any rate limit
_TOKEN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class ApiScope(StrEnum):
    """What a token may do: read everything, or also write (silences, feedback)."""

    READ = "read"
    WRITE = "write"


class ApiToken(Section):
    name: str = Field(description="shown in logs for every write made with the token")
    scope: ApiScope = ApiScope.READ
    token_env: str = Field(description="the environment variable holding the token")
    secret: SecretStr = Field(SecretStr(""), exclude=True)  # filled from the variable

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if not _TOKEN_NAME.match(value):
            raise ValueError("a token name is 1-64 letters, digits, '.', '_' or '-'")
        return value

    @model_validator(mode="before")
    @classmethod
    def _read_secret(cls, data: object) -> object:
        if not isinstance(data, dict):
            return data
        if "secret" in data:  # the value would skip the checks below, and sit in a file
            raise ValueError("a token's value is never in the config: name it in token_env")
        variable = str(data.get("token_env") or "")
        if not _ENV_NAME.match(variable):
            raise ValueError("token_env must name an environment variable")
        value = os.environ.get(variable)
        if value is None:
            raise ValueError(f"environment variable {variable} is not set")
        if len(value) < MIN_TOKEN_LENGTH:
            raise ValueError(f"{variable}: a token is at least {MIN_TOKEN_LENGTH} characters")
        if not _BEARER.match(value):
            raise ValueError(f"{variable}: a token is letters, digits and -._~+/ (RFC 6750)")
        return {**data, "secret": value}


class ApiSettings(Section):
    enabled: bool = True  # served on the listener while it serves
    tokens: tuple[ApiToken, ...] = ()
    rate_limit: int = Field(600, ge=1, description="requests per minute per token")
    burst: int = Field(60, ge=1, description="requests a token may make at once")

    @field_validator("tokens")
    @classmethod
    def _distinct(cls, tokens: tuple[ApiToken, ...]) -> tuple[ApiToken, ...]:
        names = [token.name for token in tokens]
        if len(set(names)) != len(names):
            raise ValueError("two tokens share a name: logs could not tell them apart")
        values = [token.secret.get_secret_value() for token in tokens]
        if len(set(values)) != len(values):
            raise ValueError("two tokens share a value")
        return tokens
