"""PostgreSQL connections and schema: the pool, versioned migrations under a lock, and how
the shared work (:mod:`monitor.store.sql.steps`, SQLite's form rendered) runs on a connection.

Migrations live in ``monitor/store/migrations/postgres/`` with the same version numbers as
SQLite's (``monitor/store/migrations/``); a test holds the two sets equal. Applied versions
are recorded in ``schema_migrations``. Pending ones run in one transaction that first
takes an advisory lock keyed on the schema, so daemons starting together against one
database apply each migration once: the second waits, then finds nothing left to do.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import psycopg
from psycopg import AsyncClientCursor, AsyncConnection, AsyncPipeline, pq
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from monitor.observability import Redactor, redact_url
from monitor.store.cancelled import finish_commit
from monitor.store.records import SchemaTooNewError
from monitor.store.sql.dialect import POSTGRES
from monitor.store.sql.steps import Query, Steps

T = TypeVar("T")
Connection = AsyncConnection[DictRow]
Pool = AsyncConnectionPool[Connection]

# Held until the migrating transaction ends; keyed on the schema so that separate
# schemas in one database (tests, side-by-side installs) do not wait on each other.
_LOCK = (
    "SELECT pg_advisory_xact_lock(hashtextextended('wirewatch.migrate:' || current_schema(), 0))"
)
_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""
_VERSION = "SELECT coalesce(max(version), 0) AS version FROM schema_migrations"
_HAS_LEDGER = "SELECT to_regclass('schema_migrations') IS NOT NULL AS found"
_APPLIED = "INSERT INTO schema_migrations (version) VALUES (%s)"


def latest_version() -> int:
    return POSTGRES.migrations()[-1][0]


def describe(url: str) -> str:
    """host:port/dbname of a connection string: what logs and errors may name (a password
    can sit in the userinfo or in a ``?password=`` parameter)."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.Error:  # a malformed string is described, never echoed
        return "an unparsable PostgreSQL URL"
    host, port = parts.get("host") or "localhost", parts.get("port") or 5432
    return f"{host}:{port}/{parts.get('dbname') or ''}"


def make_pool(
    url: str, min_size: int, max_size: int, *, timeout: float, read_only: bool = False
) -> Pool:
    """A pool of autocommit connections returning rows as dicts (opened by the caller);
    ``read_only``: every session refuses writes.

    Multi-statement methods open their own transaction; single statements commit alone."""
    return AsyncConnectionPool(
        url,
        connection_class=Connection,
        kwargs=_options(timeout),
        min_size=min_size,
        max_size=max_size,
        timeout=timeout,
        open=False,
        configure=_configure_read_only if read_only else _configure,
        name="wirewatch",
    )


def without_secrets(text: str, url: str) -> str:
    """``text`` (a driver's error message) with the URL's password and userinfo removed."""
    try:
        password = conninfo_to_dict(url).get("password")
    except psycopg.Error:
        password = None
    # Any length: a connection error names no ordinary words a short password could blank.
    return Redactor([str(password or "")], "***", min_length=1)(redact_url(text))


async def connect(url: str, connect_timeout: float) -> Connection:
    """One connection configured as the pool's are (for migrations and tools)."""
    conn = await Connection.connect(url, **_options(connect_timeout))
    await _configure(conn)
    return conn


def _options(timeout: float) -> dict[str, Any]:
    # libpq takes whole seconds
    return {"autocommit": True, "row_factory": dict_row, "connect_timeout": max(1, int(timeout))}


async def _configure(conn: Connection) -> None:
    # timestamptz values come back as UTC datetimes, as the SQLite store returns them.
    await conn.execute("SET TIME ZONE 'UTC'")


async def _configure_read_only(conn: Connection) -> None:
    await _configure(conn)
    await conn.execute("SET default_transaction_read_only = on")


async def schema_version(conn: Connection) -> int:
    """The highest applied version; 0 for an empty database."""
    found = await (await conn.execute(_HAS_LEDGER)).fetchone()
    if not found or not found["found"]:
        return 0
    row = await (await conn.execute(_VERSION)).fetchone()
    return int(row["version"]) if row else 0


async def migrate(conn: Connection) -> tuple[int, int]:
    """Apply pending migrations in one locked transaction; return (from, to) versions."""
    async with conn.transaction():
        await conn.execute(_LOCK)
        await conn.execute(_LEDGER)
        current = await schema_version(conn)
        if current > latest_version():
            raise SchemaTooNewError("PostgreSQL store", current, latest_version())
        for version, script in POSTGRES.migrations():
            if version > current:
                await conn.execute(script)
                await conn.execute(_APPLIED, (version,))
        return current, latest_version()


# Seconds a COMMIT already sent is waited for once its caller is cancelled (decision 0081).
COMMIT_GRACE = 5.0


class Block:
    """A pipelined transaction's block: its pipeline, which :meth:`leave` ends early, and
    the statement :meth:`end_with` sends with the COMMIT, its first row in ``answer``."""

    def __init__(self, pipeline: AsyncPipeline, piped: _Piped) -> None:
        self.pipeline = pipeline
        self._piped: _Piped | None = piped
        self.last: tuple[str, Any] | None = None
        self.again: Again | None = None
        self.answer: DictRow | None = None

    async def leave(self) -> None:
        """Leave pipeline mode: what is queued goes out with a Sync and every answer is read
        (one round trip); a queued statement's error is raised here."""
        if self._piped is not None:
            piped, self._piped = self._piped, None
            await piped.__aexit__(None, None, None)

    async def abandon(self, err: BaseException) -> None:
        """Leave pipeline mode after ``err``, reading what is left."""
        if self._piped is not None:
            piped, self._piped = self._piped, None
            await piped.__aexit__(type(err), err, err.__traceback__)

    def end_with(self, statement: str, values: Any, again: Again | None = None) -> None:
        """``statement`` is the transaction's last: it goes out with the COMMIT in one message
        (:func:`commit_with`), once every other answer is read. Refused with a serialization
        failure, ``again`` (given the error) makes the transaction fit to send it once more
        (back to a savepoint) and returns its new values, or raises to end the write."""
        self.last = (statement, values)
        self.again = again


_Piped = contextlib.AbstractAsyncContextManager[AsyncPipeline]
Again = Callable[[psycopg.errors.SerializationFailure], Awaitable[Any]]


@contextlib.asynccontextmanager
async def open_transaction(conn: Connection) -> AsyncIterator[None]:
    """A transaction the block may end itself with :func:`commit_with` (else committed at
    the end); rolled back when the block raises."""
    await conn.execute("BEGIN")
    try:
        yield
    except BaseException:
        await _roll_back(conn)
        raise
    if conn.info.transaction_status != pq.TransactionStatus.IDLE:
        await conn.execute("COMMIT")


@contextlib.asynccontextmanager
async def pipelined_transaction(conn: Connection) -> AsyncIterator[Block]:
    """A transaction in pipeline mode: a statement whose answer is not read costs no round
    trip, BEGIN goes out with the first read, and COMMIT (queued at the block's end) with
    the last statements, in one round trip. An error of a statement whose answer nobody
    read is raised at the next read, at the latest at the block's end; the transaction is
    then rolled back (decision 0075). A statement the block ends with
    (:meth:`Block.end_with`) goes out after every other answer is read, in one message with
    the COMMIT. Once the COMMIT is sent, its answer is waited for even if the caller is
    cancelled (:mod:`monitor.store.cancelled`, decision 0081)."""
    piped = conn.pipeline()
    block = Block(await piped.__aenter__(), piped)
    try:
        await conn.execute("BEGIN")
        yield block
        if block.last is not None:
            await block.leave()
    except BaseException as err:
        await block.abandon(err)
        await _roll_back(conn)
        raise
    try:
        await finish_commit(_commit(conn, block), COMMIT_GRACE)
    except BaseException:
        await _roll_back(conn)
        raise


async def _commit(conn: Connection, block: Block) -> None:
    """The block's last statement with the COMMIT in one message; else the COMMIT queued
    (never prepared: decision 0073) and the pipeline left, which sends what is queued and
    reads every answer, the COMMIT's last."""
    if block.last is not None:
        block.answer = await _last_with_commit(conn, block, *block.last)
        return
    try:
        await conn.execute("COMMIT", prepare=False)
    except BaseException as err:
        await block.abandon(err)
        raise
    await block.leave()


async def _last_with_commit(
    conn: Connection, block: Block, statement: str, values: Any
) -> DictRow | None:
    """:func:`commit_with`, sent again with ``block.again``'s values while it is refused."""
    while True:
        try:
            return await commit_with(conn, statement, values)
        except psycopg.errors.SerializationFailure as refused:
            if block.again is None:
                raise
            values = await block.again(refused)


async def _roll_back(conn: Connection) -> None:
    if conn.info.transaction_status != pq.TransactionStatus.IDLE:
        with contextlib.suppress(psycopg.Error):  # a broken connection: the pool drops it
            await conn.execute("ROLLBACK")


async def commit_with(conn: Connection, statement: str, values: Any) -> DictRow | None:
    """``statement``, the last of a transaction (not in pipeline mode), and COMMIT sent as one
    simple-protocol message: the server runs both before it answers, so a lock the
    statement takes is released by the COMMIT with no round trip to this process and none
    of its code in between (decisions 0063, 0081). In pipeline mode each statement is sent
    as it is executed, so a lock taken there was held across the client's next event-loop
    turns. The values are bound client-side (psycopg's literal quoting, never prepared:
    decision 0073). Its first row; its error as raised, the COMMIT then skipped and the
    transaction aborted."""
    async with AsyncClientCursor(conn, row_factory=dict_row) as cursor:
        await cursor.execute(f"{statement}; COMMIT", values)
        return await cursor.fetchone()


async def run_steps(conn: Connection, steps: Steps[T], pipeline: AsyncPipeline | None = None) -> T:
    """Every query ``steps`` yields, answered in turn; what it returns. In ``pipeline``
    (the connection's), a query answered "none" is only queued."""
    answer: Any = None
    try:
        while True:
            answer = await _answer(conn, steps.send(answer), pipeline)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


async def _answer(conn: Connection, query: Query, pipeline: AsyncPipeline | None) -> Any:
    if query.answer == "read":  # a cursor "later" handed out: sends what is queued, reads
        return await query.values[0].fetchall()  # type: ignore[index]
    statement = POSTGRES.render(query.statement)
    if query.answer == "many":
        async with conn.cursor() as cursor:
            await cursor.executemany(statement, query.values)
        return None
    cursor = await conn.execute(statement, query.values)
    if query.answer == "none":
        return None
    if query.answer == "later":
        return cursor
    if query.answer == "rows":
        return await cursor.fetchall()  # in a pipeline: sends what is queued, reads to here
    if pipeline is not None:
        await pipeline.sync()  # a row count is known once its statement's result is read
    return cursor.rowcount
