-- escflow schema 2: the ticket row as typed columns instead of one JSON text.
-- Every event reads and rewrites its ticket's row; plain columns cost no JSON to build
-- or parse, and the table is keyed by the ticket id alone (WITHOUT ROWID), so a write
-- touches one B-tree instead of the table plus its id index.
-- Instants are microseconds since the epoch (UTC); attrs stay JSON (nobody queries them).
-- The outbox's ticket index goes: its key begins with the ticket id, so the key index
-- already finds a ticket's actions, and one index fewer is written per action.

CREATE TABLE tickets_2 (
    id                 TEXT PRIMARY KEY,
    flow               TEXT NOT NULL,
    digest             TEXT NOT NULL REFERENCES flow_versions (digest),
    priority           TEXT NOT NULL,
    status             TEXT NOT NULL,
    step               TEXT NOT NULL,
    level              TEXT NOT NULL,
    version            INTEGER NOT NULL,
    opened_at          INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    level_entered_at   INTEGER NOT NULL,
    deadline           INTEGER,
    warn_at            INTEGER,
    next_due           INTEGER,
    assignee           TEXT,
    repeats            INTEGER NOT NULL,
    acknowledged       INTEGER NOT NULL,
    first_response_at  INTEGER,
    first_response_due INTEGER,
    resolution_due     INTEGER,
    resolved_at        INTEGER,
    paused_at          INTEGER,
    attrs              TEXT NOT NULL
) WITHOUT ROWID;

-- Schema 1 kept the row as a JSON list: [format, id, flow, digest, priority, status, step,
-- level, opened_at, updated_at, level_entered_at, deadline, warn_at, assignee, repeats,
-- acknowledged, first_response_at, first_response_due, resolution_due, resolved_at,
-- paused_at, attrs, version], instants in microseconds.
INSERT INTO tickets_2
SELECT id, flow, digest, priority, status, step, level, version,
       json_extract(state, '$[8]'), json_extract(state, '$[9]'), json_extract(state, '$[10]'),
       json_extract(state, '$[11]'), json_extract(state, '$[12]'), next_due,
       json_extract(state, '$[13]'), json_extract(state, '$[14]'), json_extract(state, '$[15]'),
       json_extract(state, '$[16]'), json_extract(state, '$[17]'), json_extract(state, '$[18]'),
       json_extract(state, '$[19]'), json_extract(state, '$[20]'),
       json_extract(state, '$[21]')
FROM tickets;

DROP TABLE tickets;
ALTER TABLE tickets_2 RENAME TO tickets;
CREATE INDEX tickets_next_due ON tickets (next_due) WHERE next_due IS NOT NULL;

DROP INDEX outbox_ticket;
