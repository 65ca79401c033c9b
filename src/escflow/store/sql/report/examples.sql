-- Per flow, level and way of leaving: up to :examples of the tickets behind the
-- stays that began in the period, by ticket id (the tickets a finding names).
WITH
-- @include stays
, ranked AS (
    SELECT
        flow, level, left_by, ticket_id,
        ROW_NUMBER() OVER (PARTITION BY flow, level, left_by ORDER BY ticket_id) AS rn
    FROM (SELECT DISTINCT flow, level, left_by, ticket_id FROM stays WHERE in_period = 1) AS s
)
SELECT flow, level, left_by, ticket_id
FROM ranked
WHERE rn <= :examples
ORDER BY flow, level, left_by, ticket_id
