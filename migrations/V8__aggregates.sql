-- The current state of every channel, goal, post and idea, as the domain folds its events:
-- what progress, suggestions and assessments read instead of replaying streams. `at` is
-- the instant a row is found by (a post's publication, or its schedule while scheduled);
-- `position` is the last event applied, so a re-delivered event changes nothing.
CREATE TABLE aggregates (
    team_id     uuid        NOT NULL,
    stream_id   uuid        NOT NULL,
    stream_type text        NOT NULL,
    state       jsonb       NOT NULL,
    at          timestamptz,
    position    bigint      NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (team_id, stream_id)
);

CREATE INDEX aggregates_by_type ON aggregates (team_id, stream_type, at);

-- Observations of a channel as a whole, by metric and time: goal progress reads these.
CREATE INDEX metric_observations_series
    ON metric_observations (team_id, channel_id, metric, observed_at)
    WHERE post_id = '00000000-0000-0000-0000-000000000000';
