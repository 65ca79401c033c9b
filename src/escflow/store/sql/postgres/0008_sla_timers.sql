-- escflow schema 8 (PostgreSQL): the SLA's timers, as in sql/sqlite/0008_sla_timers.sql.
-- Each pending warning and breach of the first response and resolution targets is a
-- column (NULL once it fired, once its target was met, while paused), and next_due counts
-- them; breached_at is when the ticket first missed a target, breach_due its soonest
-- pending breach. Rows written before get the breaches still pending, as replaying their
-- events gives; their warnings (business time) are left out.

ALTER TABLE tickets
    ADD COLUMN response_warn_at     timestamptz,
    ADD COLUMN response_breach_at   timestamptz,
    ADD COLUMN resolution_warn_at   timestamptz,
    ADD COLUMN resolution_breach_at timestamptz,
    ADD COLUMN breached_at          timestamptz,
    ADD COLUMN breach_due           timestamptz;

UPDATE tickets AS t SET
    response_breach_at = CASE WHEN first_response_at IS NULL THEN first_response_due END,
    resolution_breach_at = resolution_due
WHERE status = 'open' AND NOT EXISTS (
    SELECT 1 FROM events AS e WHERE e.ticket_id = t.id AND e.kind = 'resolved'
);
-- LEAST leaves NULLs out.
UPDATE tickets SET breach_due = LEAST(response_breach_at, resolution_breach_at)
WHERE response_breach_at IS NOT NULL OR resolution_breach_at IS NOT NULL;
UPDATE tickets SET next_due = LEAST(next_due, breach_due)
WHERE breach_due IS NOT NULL AND quarantine IS NULL;

CREATE INDEX tickets_breach_due ON tickets (breach_due) WHERE breach_due IS NOT NULL;
CREATE INDEX tickets_breached ON tickets (breached_at) WHERE breached_at IS NOT NULL;
