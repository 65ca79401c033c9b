-- escflow schema 8: the SLA's timers. A warning at a share of each target (first response,
-- resolution) and a breach at the target are timers like a level's: each pending instant
-- is a column (NULL once it fired, once its target was met, while paused), and next_due,
-- which the worker scans, counts them. breached_at is when the ticket first missed a
-- target; breach_due, the soonest pending breach, is what 'ticket list --breached' and
-- '--breaching-within' read, through the two indexes below (few rows each).
-- Rows written before get the breaches still pending, as replaying their events gives:
-- the first response's while none was made, the resolution's while the ticket was never
-- resolved (a reopened ticket's SLA stays as it was); their warnings cannot be worked out
-- here (business time) and are left out.

ALTER TABLE tickets ADD COLUMN response_warn_at INTEGER;
ALTER TABLE tickets ADD COLUMN response_breach_at INTEGER;
ALTER TABLE tickets ADD COLUMN resolution_warn_at INTEGER;
ALTER TABLE tickets ADD COLUMN resolution_breach_at INTEGER;
ALTER TABLE tickets ADD COLUMN breached_at INTEGER;
ALTER TABLE tickets ADD COLUMN breach_due INTEGER;

UPDATE tickets SET
    response_breach_at = CASE WHEN first_response_at IS NULL THEN first_response_due END,
    resolution_breach_at = resolution_due
WHERE status = 'open' AND NOT EXISTS (
    SELECT 1 FROM events AS e WHERE e.ticket_id = tickets.id AND e.kind = 'resolved'
);
-- min() of SQLite is NULL when one of its values is: each is COALESCEd with the other.
UPDATE tickets SET breach_due = min(
    COALESCE(response_breach_at, resolution_breach_at),
    COALESCE(resolution_breach_at, response_breach_at)
);
UPDATE tickets SET next_due = min(COALESCE(next_due, breach_due), COALESCE(breach_due, next_due))
WHERE breach_due IS NOT NULL AND quarantine IS NULL;

CREATE INDEX tickets_breach_due ON tickets (breach_due) WHERE breach_due IS NOT NULL;
CREATE INDEX tickets_breached ON tickets (breached_at) WHERE breached_at IS NOT NULL;
