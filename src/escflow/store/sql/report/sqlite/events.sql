-- The events a report reads (SQLite): each with the values the shared queries use, read
-- out of its JSON body once, by kind (a kind that never carries a value is not parsed for
-- it). Instants become seconds since the epoch (t) and days since the epoch (day), so
-- that the shared queries do their arithmetic alike in both dialects. Parameters: since,
-- until (ISO 8601 text in UTC, as the events keep their instants), flow, priority.
-- The rows are kept narrow (the ticket's flow and priority are joined per stay and per
-- ticket, not carried on every event): the window that numbers the stays sorts them.
ev AS (
    SELECT
        e.ticket_id,
        e.seq,
        e.kind,
        -- The whole seconds from the text without its fraction (SQLite would round
        -- .9995 up to the next second), then the fraction itself.
        CAST(strftime('%s', substr(e.at, 1, 19) || substr(e.at, -6)) AS INTEGER)
            + CASE WHEN substr(e.at, 20, 1) = '.' THEN CAST(substr(e.at, 20, 7) AS REAL)
                ELSE 0 END AS t,
        CAST(strftime('%s', substr(e.at, 1, 19) || substr(e.at, -6)) AS INTEGER) / 86400 AS day,
        CASE WHEN e.at >= :since THEN 1 ELSE 0 END AS in_period,
        CASE WHEN e.kind IN ('opened', 'moved', 'escalated', 'skipped', 'reopened')
            THEN json_extract(e.body, '$.data.level') END AS level,
        CASE WHEN e.kind IN ('opened', 'moved', 'escalated', 'skipped', 'reopened')
            THEN json_extract(e.body, '$.data.assignee') END AS assignee,
        CASE WHEN e.kind IN ('moved', 'escalated', 'skipped', 'resolved')
            THEN json_extract(e.body, '$.trigger') END AS trigger_id,
        CASE WHEN e.kind IN ('acknowledged', 'resolved')
            THEN json_extract(e.body, '$.data.within_sla') END AS within,
        CASE WHEN e.kind = 'acknowledged'
            THEN json_extract(e.body, '$.data.first') END AS first_ack,
        CASE WHEN e.kind = 'opened'
            THEN (
                SELECT CAST(strftime('%s', substr(d, 1, 19) || substr(d, -6)) AS INTEGER)
                    + CASE WHEN substr(d, 20, 1) = '.' THEN CAST(substr(d, 20, 7) AS REAL)
                        ELSE 0 END
                FROM (SELECT json_extract(e.body, '$.data.first_response_due') AS d)
            ) END AS response_due,
        CASE WHEN e.kind IN ('opened', 'resumed')
            THEN json_extract(e.body, '$.data.resolution_due') < :until END AS resolution_passed
    FROM events AS e
    JOIN tickets AS t ON t.id = e.ticket_id
    WHERE e.at <= :until
        AND (:flow IS NULL OR t.flow = :flow)
        AND (:priority IS NULL OR t.priority = :priority)
)
