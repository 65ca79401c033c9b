-- Per week (as in weeks.sql, by when the stay began), flow and level: the stays that
-- ended, and those the timer ended.
WITH
-- @include stays
SELECT
    entered_day - (entered_day + 3) % 7 AS week,
    flow,
    level,
    COUNT(*),
    SUM(CASE WHEN left_by = 'timer' THEN 1 ELSE 0 END)
FROM stays
WHERE in_period = 1 AND left_by <> 'open'
GROUP BY entered_day - (entered_day + 3) % 7, flow, level
ORDER BY week, flow, level
