-- Per flow and priority, the tickets opened in the period: how many; first responses
-- judged and met; resolutions judged and met; the mean seconds to the first
-- acknowledgement (MTTA) and to the first resolution (MTTR); resolved at the entry level;
-- resolved at all; reopened; escalations.
WITH
-- @include facts
SELECT
    flow,
    priority,
    COUNT(*),
    COUNT(response_met),
    SUM(CASE WHEN response_met = 1 THEN 1 ELSE 0 END),
    COUNT(resolution_met),
    SUM(CASE WHEN resolution_met = 1 THEN 1 ELSE 0 END),
    AVG(acked_t - opened_t),
    AVG(resolved_t - opened_t),
    SUM(first_contact),
    COUNT(resolved_t),
    SUM(CASE WHEN reopens > 0 THEN 1 ELSE 0 END),
    SUM(escalations)
FROM judged
GROUP BY flow, priority
ORDER BY flow, priority
