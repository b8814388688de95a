-- wirewatch schema version 15 (PostgreSQL twin of ../0015_surges.sql): the surges that
-- fired (evidence as jsonb) and the surge detector's saved state.
CREATE TABLE surges (
    surge_id text PRIMARY KEY,
    kind text NOT NULL,
    surge_key text NOT NULL,
    label text NOT NULL,
    window_start timestamptz NOT NULL,
    window_end timestamptz NOT NULL,
    fired_at timestamptz NOT NULL,
    report_count integer NOT NULL,
    expected double precision NOT NULL,
    outlets integer NOT NULL,
    score double precision NOT NULL,
    evidence jsonb NOT NULL
);
CREATE INDEX surges_fired_at ON surges (fired_at);
CREATE TABLE surge_state (
    name text PRIMARY KEY,
    state bytea NOT NULL,
    saved_at timestamptz NOT NULL
);
