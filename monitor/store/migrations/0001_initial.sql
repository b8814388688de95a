-- wirewatch schema version 1: feed state, articles folded into stories, alerts and their outbox.
CREATE TABLE feeds (
    url            TEXT PRIMARY KEY,
    etag           TEXT,
    last_modified  TEXT,
    body_hash      TEXT,
    last_polled    TEXT,
    last_status    INTEGER,
    error_count    INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT
);

CREATE TABLE stories (
    story_id          TEXT PRIMARY KEY,
    first_article_id  TEXT NOT NULL,
    title             TEXT NOT NULL,
    first_seen        TEXT NOT NULL,
    last_seen         TEXT NOT NULL,
    article_count     INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX stories_last_seen ON stories (last_seen);

CREATE TABLE story_outlets (
    story_id  TEXT NOT NULL REFERENCES stories (story_id) ON DELETE CASCADE,
    feed_url  TEXT NOT NULL,
    PRIMARY KEY (story_id, feed_url)
) WITHOUT ROWID;

CREATE TABLE articles (
    article_id  TEXT PRIMARY KEY,
    story_id    TEXT NOT NULL REFERENCES stories (story_id) ON DELETE CASCADE,
    feed_url    TEXT NOT NULL,
    feed_name   TEXT NOT NULL,
    guid        TEXT NOT NULL,
    link        TEXT NOT NULL,
    title       TEXT NOT NULL,
    summary     TEXT NOT NULL,
    published   TEXT,
    fetched_at  TEXT NOT NULL,
    UNIQUE (feed_url, guid)
);
CREATE INDEX articles_link ON articles (link) WHERE link <> '';
CREATE INDEX articles_story ON articles (story_id);

CREATE TABLE alerts (
    alert_id    TEXT PRIMARY KEY,
    story_id    TEXT NOT NULL REFERENCES stories (story_id) ON DELETE CASCADE,
    article_id  TEXT NOT NULL,
    rule        TEXT NOT NULL,
    severity    TEXT NOT NULL,
    terms       TEXT NOT NULL,
    event       TEXT NOT NULL DEFAULT 'new',
    created_at  TEXT NOT NULL,
    UNIQUE (story_id, rule, event)
);

CREATE TABLE deliveries (
    delivery_id      INTEGER PRIMARY KEY,
    alert_id         TEXT NOT NULL REFERENCES alerts (alert_id) ON DELETE CASCADE,
    notifier         TEXT NOT NULL,
    state            TEXT NOT NULL DEFAULT 'pending',
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    last_error       TEXT,
    updated_at       TEXT NOT NULL,
    UNIQUE (alert_id, notifier)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 'pending';
