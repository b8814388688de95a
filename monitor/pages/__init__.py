"""Article pages: the page an entry links to, fetched (robots.txt, politeness, caps,
redirect checks, per-feed options, as feeds are) and its article extracted (title, body,
language, author, published time, canonical URL), by trafilatura or a per-site CSS
selector. Used by the ingest path when a feed's entries carry only a teaser."""

__all__: list[str] = []
