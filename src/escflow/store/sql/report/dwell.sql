-- Per flow and level: how long the stays that began in the period and ended by :until
-- lasted, in wall-clock seconds: their number, the median and the 90th percentile
-- (nearest rank: the smallest value with at least half, or nine tenths, of the stays at
-- or below it) and the mean.
WITH
-- @include stays
, done AS (
    SELECT flow, level, left_t - entered_t AS dwell
    FROM stays
    WHERE in_period = 1 AND left_t IS NOT NULL
)
, ranked AS (
    SELECT
        flow, level, dwell,
        ROW_NUMBER() OVER (PARTITION BY flow, level ORDER BY dwell) AS rn,
        COUNT(*) OVER (PARTITION BY flow, level) AS n
    FROM done
)
SELECT
    flow, level, MAX(n),
    MIN(CASE WHEN rn >= 0.5 * n THEN dwell END),
    MIN(CASE WHEN rn >= 0.9 * n THEN dwell END),
    AVG(dwell)
FROM ranked
GROUP BY flow, level
ORDER BY flow, level
