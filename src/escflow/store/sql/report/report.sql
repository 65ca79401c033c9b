-- The whole report in one statement: the events are read, and their stays and tickets
-- worked out, once; each part of the report is then a small aggregate of those, the
-- parts stacked with UNION ALL in one row shape: the part's name, four keys (text) and
-- eleven figures (numbers). Which part holds what:
--   levels    flow, level, how the stays ended, trigger | stays, warnings, holds
--   dwell     flow, level | stays ended, median, p90 (nearest rank), mean (seconds)
--   sla       flow, priority | tickets, responses judged, met, resolutions judged, met,
--             mean seconds to the first acknowledgement, to the first resolution,
--             resolved at the entry level, resolved, reopened, escalations
--   breach    flow, priority, target, ticket (up to :examples of each, by id)
--   week      flow | week (days since the epoch of its Monday, UTC), opened, resolved at
--             the entry level, resolved, resolutions judged, met, responses judged, met
--   exits     flow, level | week, stays ended, ended by the timer
--   load      flow, digest, level, person on duty | stays
--   example   flow, level, how the stays ended, ticket (up to :examples, by id)
--   open      flow, level | open at :until, of which paused
-- Stays and tickets count when they began (were opened) from :since; events after
-- :until are not read.
WITH
-- @include facts
, ended AS (
    SELECT flow, level, left_t - entered_t AS dwell
    FROM stays
    WHERE in_period = 1 AND left_t IS NOT NULL
)
, ranked AS (
    SELECT
        flow, level, dwell,
        ROW_NUMBER() OVER (PARTITION BY flow, level ORDER BY dwell) AS rn,
        COUNT(*) OVER (PARTITION BY flow, level) AS n
    FROM ended
)
, missed AS (
    SELECT flow, priority, 'response' AS target, ticket_id FROM judged WHERE response_met = 0
    UNION ALL
    SELECT flow, priority, 'resolution', ticket_id FROM judged WHERE resolution_met = 0
)
, missed_ranked AS (
    SELECT
        missed.*,
        ROW_NUMBER() OVER (PARTITION BY flow, priority, target ORDER BY ticket_id) AS rn
    FROM missed
)
, examples AS (
    SELECT
        flow, level, left_by, ticket_id,
        ROW_NUMBER() OVER (PARTITION BY flow, level, left_by ORDER BY ticket_id) AS rn
    FROM (SELECT DISTINCT flow, level, left_by, ticket_id FROM stays WHERE in_period = 1) AS s
)
SELECT
    'levels' AS part, flow AS k1, level AS k2, left_by AS k3, left_trigger AS k4,
    COUNT(*) AS n1, SUM(warnings) AS n2, SUM(holds) AS n3,
    -- Typed here: PostgreSQL matches the branches two by two, and would take these for text.
    CAST(NULL AS float8) AS n4, CAST(NULL AS float8) AS n5, CAST(NULL AS float8) AS n6,
    CAST(NULL AS float8) AS n7, CAST(NULL AS float8) AS n8, CAST(NULL AS float8) AS n9,
    CAST(NULL AS float8) AS n10, CAST(NULL AS float8) AS n11
FROM stays
WHERE in_period = 1
GROUP BY flow, level, left_by, left_trigger
UNION ALL
SELECT
    'dwell', flow, level, NULL, NULL,
    MAX(n), MIN(CASE WHEN rn >= 0.5 * n THEN dwell END),
    MIN(CASE WHEN rn >= 0.9 * n THEN dwell END), AVG(dwell),
    NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM ranked
GROUP BY flow, level
UNION ALL
SELECT
    'sla', flow, priority, NULL, NULL,
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
UNION ALL
SELECT
    'breach', flow, priority, target, ticket_id,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM missed_ranked
WHERE rn <= :examples
UNION ALL
SELECT
    'week', flow, NULL, NULL, NULL,
    opened_day - (opened_day + 3) % 7,
    COUNT(*),
    SUM(first_contact),
    COUNT(resolved_t),
    COUNT(resolution_met),
    SUM(CASE WHEN resolution_met = 1 THEN 1 ELSE 0 END),
    COUNT(response_met),
    SUM(CASE WHEN response_met = 1 THEN 1 ELSE 0 END),
    NULL, NULL, NULL
FROM judged
GROUP BY opened_day - (opened_day + 3) % 7, flow
UNION ALL
SELECT
    'exits', flow, level, NULL, NULL,
    entered_day - (entered_day + 3) % 7,
    COUNT(*),
    SUM(CASE WHEN left_by = 'timer' THEN 1 ELSE 0 END),
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM stays
WHERE in_period = 1 AND left_by <> 'open'
GROUP BY entered_day - (entered_day + 3) % 7, flow, level
UNION ALL
SELECT
    'load', flow, digest, level, assignee,
    COUNT(*), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM stays
WHERE in_period = 1
GROUP BY flow, digest, level, assignee
UNION ALL
SELECT
    'example', flow, level, left_by, ticket_id,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM examples
WHERE rn <= :examples
UNION ALL
SELECT
    'open', s.flow, s.level, NULL, NULL,
    COUNT(*), SUM(CASE WHEN f.last_state = 1 THEN 1 ELSE 0 END),
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM stays AS s
JOIN facts AS f ON f.ticket_id = s.ticket_id
WHERE s.left_by = 'open'
GROUP BY s.flow, s.level
