-- One row per ticket, from its events and stays: when it opened, was first acknowledged
-- and first resolved, whether each met its target, how often it was reopened and
-- escalated, and how it stood at :until. last_state is the last of its pauses, resumes,
-- resolutions and reopenings: 1 paused, 2 resolved, 0 open (or none of them).
-- @include stays
, by_ticket AS (
    SELECT
        ticket_id,
        MAX(CASE WHEN kind = 'opened' THEN in_period END) AS in_period,
        MIN(CASE WHEN kind = 'opened' THEN t END) AS opened_t,
        MIN(CASE WHEN kind = 'opened' THEN day END) AS opened_day,
        MAX(CASE WHEN kind = 'opened' THEN response_due END) AS response_due,
        MIN(CASE WHEN kind = 'acknowledged' THEN t END) AS acked_t,
        MAX(CASE WHEN kind = 'acknowledged' AND first_ack = 1 THEN within END) AS ack_within,
        MIN(CASE WHEN kind = 'resolved' THEN t END) AS resolved_t,
        MIN(CASE WHEN kind = 'resolved' THEN seq * 4 + COALESCE(within, 2) END) % 4
            AS resolved_within,
        MIN(CASE WHEN resolution_passed IS NOT NULL THEN resolution_passed END)
            AS resolution_passed,
        SUM(CASE WHEN kind = 'reopened' THEN 1 ELSE 0 END) AS reopens,
        SUM(CASE WHEN level IS NOT NULL AND kind IN ('moved', 'escalated', 'skipped')
            THEN 1 ELSE 0 END) AS escalations,
        MAX(CASE WHEN kind = 'resolved' AND visit = 1 THEN 1 ELSE 0 END) AS first_contact,
        MAX(CASE
            WHEN kind = 'paused' THEN seq * 4 + 1
            WHEN kind = 'resolved' THEN seq * 4 + 2
            WHEN kind IN ('resumed', 'reopened') THEN seq * 4
        END) % 4 AS last_state
    FROM marked
    GROUP BY ticket_id
)
, facts AS MATERIALIZED (
    SELECT t.flow, t.priority, by_ticket.*
    FROM by_ticket
    JOIN tickets AS t ON t.id = by_ticket.ticket_id
)
, judged AS (
    SELECT
        facts.*,
        CASE
            WHEN response_due IS NULL THEN NULL
            WHEN ack_within IS NOT NULL THEN ack_within
            WHEN acked_t IS NULL AND resolved_t IS NOT NULL AND resolved_t <= response_due
                THEN 1
            WHEN acked_t IS NULL AND (resolved_t IS NOT NULL OR response_due < :until_t)
                THEN 0
        END AS response_met,
        CASE
            WHEN resolved_within IN (0, 1) THEN resolved_within
            WHEN resolved_t IS NULL AND resolution_passed = 1 AND COALESCE(last_state, 0) <> 1
                THEN 0
        END AS resolution_met
    FROM facts
    WHERE in_period = 1
)
