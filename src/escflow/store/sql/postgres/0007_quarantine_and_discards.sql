-- escflow schema 7 (PostgreSQL): rows that cannot be read are quarantined; discarded
-- actions are kept, as in sql/sqlite/0007_quarantine_and_discards.sql.
-- quarantine: why a ticket row or an outbox row could not be read (a hand edit), set by
-- the worker that met it. A quarantined ticket leaves the schedule (its next_due is
-- cleared; its deadline and warning stay), a quarantined action leaves the queue
-- (pending false); 'escflow outbox retry' puts them back once they read again.
-- Events stay append-only: an event that cannot be read is shown as damaged when read.
-- discarded_at / discarded_by / discard_note: an action an operator chose not to deliver
-- ('escflow outbox discard'), kept with who did it, when and why.

ALTER TABLE tickets ADD COLUMN quarantine text;
ALTER TABLE outbox
    ADD COLUMN quarantine   text,
    ADD COLUMN discarded_at timestamptz,
    ADD COLUMN discarded_by text,
    ADD COLUMN discard_note text;

-- What an operator lists: the quarantined tickets, and the actions neither pending nor
-- delivered (failed, quarantined, discarded). Both are few; an update that does not touch
-- these columns stays a HOT update.
CREATE INDEX tickets_quarantined ON tickets (id) WHERE quarantine IS NOT NULL;
CREATE INDEX outbox_held ON outbox (position) WHERE NOT pending AND delivered_at IS NULL;
