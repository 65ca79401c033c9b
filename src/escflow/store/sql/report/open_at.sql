-- The tickets open at :until, by flow and level (the level of the stay they are in):
-- how many, and how many of them wait on the customer (paused). Every ticket opened by
-- then counts, whenever it opened.
WITH
-- @include facts
SELECT s.flow, s.level, COUNT(*), SUM(CASE WHEN f.last_state = 1 THEN 1 ELSE 0 END)
FROM stays AS s
JOIN facts AS f ON f.ticket_id = s.ticket_id
WHERE s.left_by = 'open'
GROUP BY s.flow, s.level
ORDER BY s.flow, s.level
