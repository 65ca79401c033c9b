-- Per week (Monday to Sunday, UTC; the week's first day in days since the epoch) and
-- flow, the tickets opened in the period: opened, resolved at the entry level, resolved,
-- resolutions judged and met, first responses judged and met.
WITH
-- @include facts
SELECT
    opened_day - (opened_day + 3) % 7 AS week,
    flow,
    COUNT(*),
    SUM(first_contact),
    COUNT(resolved_t),
    COUNT(resolution_met),
    SUM(CASE WHEN resolution_met = 1 THEN 1 ELSE 0 END),
    COUNT(response_met),
    SUM(CASE WHEN response_met = 1 THEN 1 ELSE 0 END)
FROM judged
GROUP BY opened_day - (opened_day + 3) % 7, flow
ORDER BY week, flow
