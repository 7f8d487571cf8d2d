-- Each team's ideas by status, merged duplicates left out: kept by the aggregates
-- projection as ideas change, so that progress reads a few rows instead of counting every
-- idea's state.
CREATE TABLE idea_counts (
    team_id uuid   NOT NULL,
    status  text   NOT NULL,
    ideas   bigint NOT NULL,
    PRIMARY KEY (team_id, status)
);

INSERT INTO idea_counts (team_id, status, ideas)
SELECT team_id, state->>'status', count(*) FROM aggregates
WHERE stream_type = 'idea' AND state->'merged_into' = 'null'::jsonb
GROUP BY 1, 2;
