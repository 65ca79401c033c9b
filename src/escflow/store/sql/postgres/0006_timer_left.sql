-- escflow schema 6 (PostgreSQL): the step a timer escalation took a ticket from, until
-- someone acts on it. A hierarchical trigger fired just after the timer moved the ticket up
-- is refused unless the caller says which step it was meant for: timer_left is that step
-- (NULL once a person acted). Rows written before get it from their events: the from-step of
-- the first timer escalation after the last event a person made.

ALTER TABLE tickets ADD COLUMN timer_left text;
UPDATE tickets AS t SET timer_left = (
    SELECT e.body::jsonb ->> 'from' FROM events AS e
    WHERE e.ticket_id = t.id AND e.kind = 'escalated'
      AND e.seq > COALESCE((
          SELECT max(m.seq) FROM events AS m
          WHERE m.ticket_id = t.id AND m.kind IN
              ('opened', 'moved', 'acknowledged', 'paused', 'resumed', 'resolved', 'reopened',
               'attached')), 0)
    ORDER BY e.seq LIMIT 1
);
