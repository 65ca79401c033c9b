-- escflow schema 5: a repeated key answers with the whole call; SQLite workers lease the outbox.
-- key_first_seq: a call's write begins with the timer events it caught up on, which carry
-- no key; the keyed event keeps where that write began, so that a repeated key answers with
-- every event and action of the call. Rows written before keep NULL: their call is taken
-- to begin at the keyed event, as it was before.
-- claimed_by / claimed_until: as on PostgreSQL, a worker leases the outbox rows it
-- delivers (claimed_until in microseconds since the epoch, UTC), so that two workers on one
-- file do not send the same actions; recording the attempt ends the lease.

ALTER TABLE events ADD COLUMN key_first_seq INTEGER;
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_until INTEGER;
