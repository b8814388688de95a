-- wirewatch schema version 14: each article's headline embedding (monitor.stories.embedding:
-- 512 little-endian float16 values, 1,024 bytes), kept so that a restart, and the other
-- daemons sharing a store, rebuild the story window without embedding the headlines again;
-- NULL when none was computed (before this version, or with `[dedup] semantic = false`).
ALTER TABLE articles ADD COLUMN embedding BLOB;
