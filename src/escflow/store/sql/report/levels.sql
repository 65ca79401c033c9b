-- Per flow and level: the stays that began in the period, by how they ended (and by
-- which trigger), with the warnings and holds they met.
WITH
-- @include stays
SELECT flow, level, left_by, left_trigger, COUNT(*), SUM(warnings), SUM(holds)
FROM stays
WHERE in_period = 1
GROUP BY flow, level, left_by, left_trigger
ORDER BY flow, level, left_by, left_trigger
