-- escflow schema 1: flow versions, tickets, their events, the outbox.
-- Instants are ISO 8601 text in UTC; next_due and next_attempt are microseconds since the
-- epoch (UTC) so that the indexes the worker scans compare integers.

CREATE TABLE flow_versions (
    digest   TEXT PRIMARY KEY,
    flow_id  TEXT NOT NULL,
    source   TEXT NOT NULL,
    saved_at TEXT NOT NULL
);

CREATE TABLE tickets (
    id       TEXT PRIMARY KEY,
    flow     TEXT NOT NULL,
    digest   TEXT NOT NULL REFERENCES flow_versions (digest),
    priority TEXT NOT NULL,
    status   TEXT NOT NULL,
    step     TEXT NOT NULL,
    level    TEXT NOT NULL,
    version  INTEGER NOT NULL,
    deadline TEXT,
    warn_at  TEXT,
    next_due INTEGER,
    state    TEXT NOT NULL
);
CREATE INDEX tickets_next_due ON tickets (next_due) WHERE next_due IS NOT NULL;

CREATE TABLE events (
    ticket_id       TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    at              TEXT NOT NULL,
    kind            TEXT NOT NULL,
    body            TEXT NOT NULL,
    idempotency_key TEXT,
    key_last_seq    INTEGER,
    PRIMARY KEY (ticket_id, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX events_idempotency_key ON events (idempotency_key)
    WHERE idempotency_key IS NOT NULL;

CREATE TABLE outbox (
    key          TEXT PRIMARY KEY,
    ticket_id    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    target       TEXT NOT NULL,
    payload      TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER NOT NULL,
    next_attempt_at TEXT,
    delivered_at TEXT,
    failed_at    TEXT,
    last_error   TEXT,
    pending      INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX outbox_pending ON outbox (next_attempt) WHERE pending = 1;
CREATE INDEX outbox_ticket ON outbox (ticket_id);
