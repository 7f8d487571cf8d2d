-- The current value of every metric observation, keyed as observations are deduplicated:
-- (channel, metric, post, observed_at). Written in the same transaction as the
-- MetricRecorded events, so an observation repeated with the same value writes nothing and a
-- different value is recorded as a correction. `post_id` is the nil UUID for observations of
-- the channel as a whole.
CREATE TABLE metric_observations (
    team_id        uuid             NOT NULL,
    channel_id     uuid             NOT NULL,
    metric         text             NOT NULL,
    post_id        uuid             NOT NULL,
    observed_at    timestamptz      NOT NULL,
    value          double precision NOT NULL,
    previous_value double precision,
    PRIMARY KEY (team_id, channel_id, metric, post_id, observed_at)
);
