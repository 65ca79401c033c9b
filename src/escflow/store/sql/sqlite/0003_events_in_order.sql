-- escflow schema 3: events kept in the order they were written, found through a key index.
-- Schemas 1 and 2 kept events in a WITHOUT ROWID table keyed by (ticket_id, seq). Tickets
-- get their events in random order, so each event landed in the middle of a B-tree of
-- wide rows, and SQLite balances a full leaf with its siblings: an event dirtied about
-- three pages, most of what a commit wrote. A rowid table takes events at its end, and the
-- key index holds only (ticket_id, seq), hundreds to a page: an event now dirties about one
-- page. PostgreSQL keeps events the same way (a heap and its key index, events_pkey).

CREATE TABLE events_3 (
    ticket_id       TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    at              TEXT NOT NULL,
    kind            TEXT NOT NULL,
    body            TEXT NOT NULL,
    idempotency_key TEXT,
    key_last_seq    INTEGER
);

INSERT INTO events_3 (ticket_id, seq, at, kind, body, idempotency_key, key_last_seq)
SELECT ticket_id, seq, at, kind, body, idempotency_key, key_last_seq
FROM events
ORDER BY at, ticket_id, seq;

DROP TABLE events;
ALTER TABLE events_3 RENAME TO events;
CREATE UNIQUE INDEX events_pkey ON events (ticket_id, seq);
CREATE UNIQUE INDEX events_idempotency_key ON events (idempotency_key)
    WHERE idempotency_key IS NOT NULL;
