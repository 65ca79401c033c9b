-- escflow schema 5 (PostgreSQL): a repeated key answers with the whole call.
-- key_first_seq: a call's write begins with the timer events it caught up on, which carry
-- no key; the keyed event keeps where that write began, so that a repeated key answers with
-- every event and action of the call. Rows written before keep NULL: their call is taken
-- to begin at the keyed event, as it was before. (SQLite's schema 5 also gives its outbox
-- the claimed_by / claimed_until lease this outbox has had from the start.)

ALTER TABLE events ADD COLUMN key_first_seq integer;
