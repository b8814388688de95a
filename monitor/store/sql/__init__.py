"""SQL shared by the SQLite and PostgreSQL stores: statements, row mappers, the dialect.

Both backends keep one schema with the same tables and columns, so most statements and
every row → record mapping are written once here; each backend only says how it runs
them (:mod:`monitor.store.sql.dialect`) and adds what only it can do.
"""
