-- The tickets opened in the period that missed a target, by flow, priority and target
-- (response, resolution): up to :examples of each, by ticket id, with how many there are.
WITH
-- @include facts
, missed AS (
    SELECT flow, priority, 'response' AS target, ticket_id FROM judged WHERE response_met = 0
    UNION ALL
    SELECT flow, priority, 'resolution', ticket_id FROM judged WHERE resolution_met = 0
)
, ranked AS (
    SELECT
        missed.*,
        ROW_NUMBER() OVER (PARTITION BY flow, priority, target ORDER BY ticket_id) AS rn
    FROM missed
)
SELECT flow, priority, target, ticket_id
FROM ranked
WHERE rn <= :examples
ORDER BY flow, priority, target, ticket_id
