-- Per flow version, level and person on duty: the stays that began in the period.
WITH
-- @include stays
SELECT flow, digest, level, assignee, COUNT(*)
FROM stays
WHERE in_period = 1
GROUP BY flow, digest, level, assignee
ORDER BY flow, digest, level, assignee
