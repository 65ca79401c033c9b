-- escflow schema 1 (PostgreSQL): flow versions, tickets, their events, the outbox.
-- The same tables and indexes as sql/sqlite/0001_initial.sql. Instants are timestamptz
-- (an 8-byte integer of microseconds inside, so the indexes the workers scan compare
-- integers, as SQLite's do) and stay readable to anyone who queries the store. The JSON
-- columns are text: the exact text the codec wrote, read back unchanged (jsonb would
-- rewrite numbers and refuse \u0000).

CREATE TABLE flow_versions (
    digest   text PRIMARY KEY,
    flow_id  text NOT NULL,
    source   text NOT NULL,
    saved_at timestamptz NOT NULL
);

-- claimed_by / claimed_until: a worker's lease on a due ticket (see _postgres.py); the
-- next write of the row clears it. fillfactor leaves room in each page so that claiming,
-- which touches no indexed column, stays a HOT update.
CREATE TABLE tickets (
    id            text PRIMARY KEY,
    flow          text NOT NULL,
    digest        text NOT NULL REFERENCES flow_versions (digest),
    priority      text NOT NULL,
    status        text NOT NULL,
    step          text NOT NULL,
    level         text NOT NULL,
    version       integer NOT NULL,
    deadline      timestamptz,
    warn_at       timestamptz,
    next_due      timestamptz,
    state         text NOT NULL,
    claimed_by    text,
    claimed_until timestamptz
) WITH (fillfactor = 90);
CREATE INDEX tickets_next_due ON tickets (next_due) WHERE next_due IS NOT NULL;

CREATE TABLE events (
    ticket_id       text NOT NULL,
    seq             integer NOT NULL,
    at              timestamptz NOT NULL,
    kind            text NOT NULL,
    body            text NOT NULL,
    idempotency_key text,
    key_last_seq    integer,
    PRIMARY KEY (ticket_id, seq)
);
CREATE UNIQUE INDEX events_idempotency_key ON events (idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- Events are history: refuse to change or delete one, whoever asks.
CREATE FUNCTION escflow_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'escflow events are append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION escflow_events_append_only();

-- position keeps the order actions were queued in (SQLite's rowid).
CREATE TABLE outbox (
    key             text PRIMARY KEY,
    ticket_id       text NOT NULL,
    kind            text NOT NULL,
    target          text NOT NULL,
    payload         text NOT NULL,
    created_at      timestamptz NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt    timestamptz NOT NULL,
    next_attempt_at timestamptz,
    delivered_at    timestamptz,
    failed_at       timestamptz,
    last_error      text,
    pending         boolean NOT NULL DEFAULT true,
    position        bigint GENERATED ALWAYS AS IDENTITY,
    claimed_by      text,
    claimed_until   timestamptz
) WITH (fillfactor = 90);
CREATE INDEX outbox_pending ON outbox (next_attempt, position) WHERE pending;
CREATE INDEX outbox_ticket ON outbox (ticket_id);
