-- escflow schema 4: paused_at is set only while a ticket is paused.
-- Before, resolving a paused ticket kept its paused_at, and reopening it kept it too:
-- an open ticket that said it was paused. Events now clear it on resolution; the rows
-- written before are mended so that each ticket still equals the replay of its events.

UPDATE tickets SET paused_at = NULL WHERE status <> 'paused' AND paused_at IS NOT NULL;
