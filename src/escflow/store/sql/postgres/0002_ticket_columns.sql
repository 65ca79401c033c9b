-- escflow schema 2 (PostgreSQL): the ticket row as typed columns instead of one JSON
-- text, as in sql/sqlite/0002_ticket_columns.sql: no JSON to build or parse per event.
-- Instants are timestamptz; attrs stay JSON text. The outbox keeps its ticket index
-- here: text ranges follow the database's collation, so the key index cannot stand in.

ALTER TABLE tickets
    ADD COLUMN opened_at          timestamptz,
    ADD COLUMN updated_at         timestamptz,
    ADD COLUMN level_entered_at   timestamptz,
    ADD COLUMN assignee           text,
    ADD COLUMN repeats            integer,
    ADD COLUMN acknowledged       boolean,
    ADD COLUMN first_response_at  timestamptz,
    ADD COLUMN first_response_due timestamptz,
    ADD COLUMN resolution_due     timestamptz,
    ADD COLUMN resolved_at        timestamptz,
    ADD COLUMN paused_at          timestamptz,
    ADD COLUMN attrs              text;

-- Schema 1 kept the row as a JSON list: [format, id, flow, digest, priority, status, step,
-- level, opened_at, updated_at, level_entered_at, deadline, warn_at, assignee, repeats,
-- acknowledged, first_response_at, first_response_due, resolution_due, resolved_at,
-- paused_at, attrs, version], instants in microseconds since the epoch.
CREATE FUNCTION escflow_micros(value json) RETURNS timestamptz LANGUAGE sql IMMUTABLE AS
    'SELECT timestamptz ''1970-01-01 00:00:00+00'' + (value #>> ''{}'')::bigint * interval ''1 microsecond''';

UPDATE tickets SET
    opened_at          = escflow_micros(state::json -> 8),
    updated_at         = escflow_micros(state::json -> 9),
    level_entered_at   = escflow_micros(state::json -> 10),
    assignee           = state::json ->> 13,
    repeats            = (state::json ->> 14)::integer,
    acknowledged       = (state::json ->> 15)::boolean,
    first_response_at  = escflow_micros(state::json -> 16),
    first_response_due = escflow_micros(state::json -> 17),
    resolution_due     = escflow_micros(state::json -> 18),
    resolved_at        = escflow_micros(state::json -> 19),
    paused_at          = escflow_micros(state::json -> 20),
    attrs              = (state::json -> 21)::text;

DROP FUNCTION escflow_micros(json);

ALTER TABLE tickets
    ALTER COLUMN opened_at SET NOT NULL,
    ALTER COLUMN updated_at SET NOT NULL,
    ALTER COLUMN level_entered_at SET NOT NULL,
    ALTER COLUMN repeats SET NOT NULL,
    ALTER COLUMN acknowledged SET NOT NULL,
    ALTER COLUMN attrs SET NOT NULL,
    DROP COLUMN state;
