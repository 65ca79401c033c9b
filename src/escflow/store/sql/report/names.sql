-- The flows and priorities of every ticket in the store, whenever it was opened.
SELECT DISTINCT flow, priority FROM tickets ORDER BY flow, priority
