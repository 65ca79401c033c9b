-- The events a report reads (PostgreSQL): the same columns as sqlite/events.sql. The JSON
-- body is parsed once per event, and only for the kinds that carry a value the queries
-- use. Parameters: since, until (timestamptz), flow, priority.
ev AS (
    SELECT
        e.ticket_id,
        e.seq,
        e.kind,
        extract(EPOCH FROM e.at)::float8 AS t,
        floor(extract(EPOCH FROM e.at) / 86400)::bigint AS day,
        CASE WHEN e.at >= :since THEN 1 ELSE 0 END AS in_period,
        e.b #>> '{data,level}' AS level,
        e.b #>> '{data,assignee}' AS assignee,
        CASE WHEN e.kind IN ('moved', 'escalated', 'skipped', 'resolved')
            THEN e.b ->> 'trigger' END AS trigger_id,
        CASE e.b #>> '{data,within_sla}' WHEN 'true' THEN 1 WHEN 'false' THEN 0 END AS within,
        CASE e.b #>> '{data,first}' WHEN 'true' THEN 1 WHEN 'false' THEN 0 END AS first_ack,
        CASE WHEN e.kind = 'opened'
            THEN extract(EPOCH FROM (e.b #>> '{data,first_response_due}')::timestamptz)::float8
            END AS response_due,
        CASE WHEN e.kind IN ('opened', 'resumed')
            THEN CASE WHEN e.b #>> '{data,resolution_due}' IS NULL THEN NULL
                WHEN (e.b #>> '{data,resolution_due}')::timestamptz < :until THEN 1 ELSE 0 END
            END AS resolution_passed
    FROM (
        SELECT
            ev0.ticket_id, ev0.seq, ev0.at, ev0.kind,
            CASE WHEN ev0.kind IN (
                'opened', 'moved', 'escalated', 'skipped', 'reopened', 'resolved',
                'acknowledged', 'resumed'
            ) THEN ev0.body::json END AS b
        FROM events AS ev0
        JOIN tickets AS t ON t.id = ev0.ticket_id
        WHERE ev0.at <= :until
            AND (CAST(:flow AS text) IS NULL OR t.flow = :flow)
            AND (CAST(:priority AS text) IS NULL OR t.priority = :priority)
    ) AS e
)
