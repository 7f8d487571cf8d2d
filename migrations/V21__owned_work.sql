-- Open goals with an owner and open posts with an assignee, found by team without reading
-- the team's closed goals and published posts.
CREATE INDEX aggregates_owned ON aggregates (team_id)
    WHERE (stream_type = 'goal' AND state->>'owner_id' IS NOT NULL AND state->>'state' = 'active')
       OR (stream_type = 'post' AND state->>'assignee_id' IS NOT NULL
           AND state->>'status' NOT IN ('published', 'archived'));
