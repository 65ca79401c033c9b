-- escflow schema 7: rows that cannot be read are quarantined; discarded actions are kept.
-- quarantine: why a ticket row or an outbox row could not be read (a hand edit, a disk
-- fault), set by the worker that met it. A quarantined ticket leaves the schedule (its
-- next_due is cleared; its deadline and warning stay), a quarantined action leaves the
-- queue (pending 0); 'escflow outbox retry' puts them back once they read again.
-- discarded_at / discarded_by / discard_note: an action an operator chose not to deliver
-- ('escflow outbox discard'), kept with who did it, when and why.

ALTER TABLE tickets ADD COLUMN quarantine TEXT;
ALTER TABLE outbox ADD COLUMN quarantine TEXT;
ALTER TABLE outbox ADD COLUMN discarded_at TEXT;
ALTER TABLE outbox ADD COLUMN discarded_by TEXT;
ALTER TABLE outbox ADD COLUMN discard_note TEXT;

-- What an operator lists: the quarantined tickets, and the actions neither pending nor
-- delivered (failed, quarantined, discarded). Both are few; a write that does not touch
-- these columns leaves the indexes alone.
CREATE INDEX tickets_quarantined ON tickets (id) WHERE quarantine IS NOT NULL;
CREATE INDEX outbox_held ON outbox (ticket_id) WHERE pending = 0 AND delivered_at IS NULL;
