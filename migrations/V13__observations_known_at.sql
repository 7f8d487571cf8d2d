-- What a `known_at` read needs to see each metric observation as it stood at an earlier
-- instant, by key, without replaying the log: when the key was first recorded, when its
-- value last changed, and the value each correction replaced. Every one of these instants is
-- the writing transaction's start (`now()`), the very clock `events.recorded_at` is set from
-- in the same transaction, so "recorded by then" means the same here as in the log.
--
-- The value of a key known at an instant K: none when first_recorded_at > K; the current
-- value when recorded_at <= K; else what the first correction after K replaced.
ALTER TABLE metric_observations
    ADD COLUMN first_recorded_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN recorded_at       timestamptz NOT NULL DEFAULT now();

-- One row per correction (an observation recorded again with another value); new
-- observations, the bulk of the writes, add nothing here.
CREATE TABLE metric_corrections (
    team_id     uuid             NOT NULL,
    channel_id  uuid             NOT NULL,
    metric      text             NOT NULL,
    post_id     uuid             NOT NULL,
    observed_at timestamptz      NOT NULL,
    recorded_at timestamptz      NOT NULL,
    replaced    double precision NOT NULL,
    PRIMARY KEY (team_id, channel_id, metric, post_id, observed_at, recorded_at)
);

-- The observations recorded before this migration, from their MetricRecorded events. An
-- `observed_at` PostgreSQL cannot read back from its JSON form (a year outside 1..9999) is
-- left out: such a key counts as first recorded now.
CREATE TEMPORARY TABLE recorded_observations AS
SELECT team_id,
       (data->>'channel_id')::uuid AS channel_id,
       data->>'metric' AS metric,
       coalesce((data->>'post_id')::uuid, '00000000-0000-0000-0000-000000000000') AS post_id,
       CASE WHEN data->>'observed_at' ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$'
                 AND data->>'observed_at' NOT LIKE '0000-%'
            THEN (data->>'observed_at')::timestamptz END AS observed_at,
       recorded_at,
       (data->>'corrects')::double precision AS replaced
FROM events
WHERE stream_type = 'metrics';

UPDATE metric_observations AS o
SET first_recorded_at = r.first_recorded_at, recorded_at = r.recorded_at
FROM (SELECT team_id, channel_id, metric, post_id, observed_at,
             min(recorded_at) AS first_recorded_at, max(recorded_at) AS recorded_at
      FROM recorded_observations
      WHERE observed_at IS NOT NULL
      GROUP BY team_id, channel_id, metric, post_id, observed_at) AS r
WHERE (o.team_id, o.channel_id, o.metric, o.post_id, o.observed_at)
    = (r.team_id, r.channel_id, r.metric, r.post_id, r.observed_at);

INSERT INTO metric_corrections (team_id, channel_id, metric, post_id, observed_at, recorded_at, replaced)
SELECT team_id, channel_id, metric, post_id, observed_at, recorded_at, replaced
FROM recorded_observations
WHERE observed_at IS NOT NULL AND replaced IS NOT NULL
ON CONFLICT DO NOTHING;

DROP TABLE recorded_observations;
