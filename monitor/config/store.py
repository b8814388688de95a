"""``[store]``: where the daemon keeps its state, SQLite or PostgreSQL."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator

from monitor.config.base import Section


class StoreSettings(Section):
    """SQLite at ``path`` unless ``url`` names a PostgreSQL database: that key is the switch
    (``backend`` follows it and need not be written)."""

    backend: Literal["sqlite", "postgresql"] = "sqlite"
    path: str = "wirewatch.db"
    busy_timeout_ms: int = Field(5000, ge=0)
    url: SecretStr | None = Field(None, description="postgresql://user:password@host:5432/db")
    pool_min_size: int = Field(1, ge=0, le=100, description="PostgreSQL connections kept open")
    pool_max_size: int = Field(10, ge=1, le=100, description="PostgreSQL connections at most")
    connect_timeout: float = Field(10.0, gt=0, description="seconds to wait for a connection")
    lease_seconds: float = Field(120.0, ge=1, description="PostgreSQL: a claimed feed's lease")
    claim_interval: float = Field(5.0, gt=0, description="PostgreSQL: seconds between claims")
    claim_batch: int = Field(32, ge=1, le=1024, description="PostgreSQL: feeds polled at once")

    @model_validator(mode="before")
    @classmethod
    def _url_picks_postgresql(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("url") and "backend" not in data:
            return {**data, "backend": "postgresql"}
        return data

    @model_validator(mode="after")
    def _backend_matches_url(self) -> StoreSettings:
        url = self.url.get_secret_value() if self.url else ""
        if self.backend == "postgresql" and not url.startswith(("postgresql://", "postgres://")):
            raise ValueError("backend postgresql needs url = 'postgresql://user@host/db'")
        if self.backend == "sqlite" and url:
            raise ValueError("url is set but backend is sqlite; drop one of them")
        if self.pool_min_size > self.pool_max_size:
            raise ValueError("pool_min_size exceeds pool_max_size")
        return self
