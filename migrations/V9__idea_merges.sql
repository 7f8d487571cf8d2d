-- Which ideas were merged into an idea: one idea's view reads its duplicates without
-- scanning the team's log.
CREATE INDEX events_idea_merges ON events (team_id, (data->>'into'))
    WHERE event_type = 'IdeaMerged';
