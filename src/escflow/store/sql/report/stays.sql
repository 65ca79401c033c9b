-- A ticket's stays at its levels, from the events (ev, the dialect's events.sql).
-- Every event that enters a level (it carries one; a repeat of the level's window does
-- not count) begins a stay; the stay ends at its resolution, or where the next stay
-- begins: left by a person's trigger (moved), by the timer (escalated), or skipped for
-- nobody on duty; a stay that has not ended by :until is 'open'.
-- @include events
, marked AS (
    SELECT
        ev.*,
        CASE WHEN level IS NOT NULL THEN 1 ELSE 0 END AS entry,
        SUM(CASE WHEN level IS NOT NULL THEN 1 ELSE 0 END)
            OVER (PARTITION BY ticket_id ORDER BY seq ROWS UNBOUNDED PRECEDING) AS visit
    FROM ev
)
, visits AS (
    SELECT
        ticket_id,
        visit,
        MAX(CASE WHEN entry = 1 THEN level END) AS level,
        MAX(CASE WHEN entry = 1 THEN t END) AS entered_t,
        MAX(CASE WHEN entry = 1 THEN day END) AS entered_day,
        MAX(CASE WHEN entry = 1 THEN in_period END) AS in_period,
        MAX(CASE WHEN entry = 1 THEN kind END) AS entered_by,
        MAX(CASE WHEN entry = 1 THEN trigger_id END) AS entry_trigger,
        MAX(CASE WHEN entry = 1 THEN assignee END) AS assignee,
        MIN(CASE WHEN kind = 'resolved' THEN t END) AS resolved_t,
        MAX(CASE WHEN kind = 'resolved' THEN trigger_id END) AS resolved_by,
        SUM(CASE WHEN kind = 'warned' THEN 1 ELSE 0 END) AS warnings,
        SUM(CASE WHEN kind = 'held' THEN 1 ELSE 0 END) AS holds
    FROM marked
    WHERE visit > 0
    GROUP BY ticket_id, visit
)
, legs AS (
    SELECT
        visits.*,
        LEAD(entered_t) OVER w AS next_t,
        LEAD(entered_by) OVER w AS next_by,
        LEAD(entry_trigger) OVER w AS next_trigger
    FROM visits
    WINDOW w AS (PARTITION BY ticket_id ORDER BY visit)
)
, stays AS MATERIALIZED (
    SELECT
        l.ticket_id, l.visit, t.flow, t.priority, t.digest, l.level, l.entered_t,
        l.entered_day, l.in_period, l.assignee, l.warnings, l.holds,
        CASE WHEN l.resolved_t IS NOT NULL THEN l.resolved_t ELSE l.next_t END AS left_t,
        CASE
            WHEN l.resolved_t IS NOT NULL THEN 'resolved'
            WHEN l.next_by = 'moved' THEN 'trigger'
            WHEN l.next_by = 'escalated' THEN 'timer'
            WHEN l.next_by = 'skipped' THEN 'skipped'
            WHEN l.next_by IS NULL THEN 'open'
            ELSE l.next_by
        END AS left_by,
        CASE WHEN l.resolved_t IS NOT NULL THEN l.resolved_by ELSE l.next_trigger END
            AS left_trigger
    FROM legs AS l
    JOIN tickets AS t ON t.id = l.ticket_id
)
