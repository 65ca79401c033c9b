-- escflow schema 3 (PostgreSQL): nothing moves.
-- SQLite's schema 3 moves events from a table clustered on (ticket_id, seq) to one kept in
-- the order they were written, beside a key index. PostgreSQL has kept them so from the
-- start (a heap and its key index, events_pkey); this version only says so in the
-- catalogue, so that a schema number means the same tables in both dialects.

COMMENT ON TABLE events IS
    'escflow: append-only, one row per event in the order written; found by (ticket_id, seq) through events_pkey';
