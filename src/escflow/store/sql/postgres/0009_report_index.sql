-- escflow schema 10 (PostgreSQL): an index for the reports (escflow report, store/sql/report/).
-- A report of one flow (--flow, --priority) reads that flow's tickets and their events
-- only: the index finds the tickets without reading the table, and lists the flows and
-- priorities of the store (the names a report may be asked for) from the index alone.
-- The events need none: a report reads every event up to its end in one scan. (IF NOT
-- EXISTS: a database taken back to an older schema by hand may keep the index.)

CREATE INDEX IF NOT EXISTS tickets_flow_priority ON tickets (flow, priority);
