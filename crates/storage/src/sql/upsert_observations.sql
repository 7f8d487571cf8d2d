-- Inserts new observations and overwrites changed ones, keeping the old value as
-- previous_value; returns only what changed. An observation repeated with the same value
-- matches no row here, so it produces no event. A correction also moves recorded_at and
-- keeps the value it replaced in metric_corrections, for `known_at` reads (see V13).
WITH changed AS (
    INSERT INTO metric_observations AS o (team_id, channel_id, metric, post_id, observed_at, value)
    SELECT $1, r.channel_id, r.metric, r.post_id, r.observed_at, r.value
    FROM unnest($2::uuid[], $3::text[], $4::uuid[], $5::timestamptz[], $6::float8[])
         AS r(channel_id, metric, post_id, observed_at, value)
    ON CONFLICT (team_id, channel_id, metric, post_id, observed_at) DO UPDATE
        SET previous_value = o.value, value = excluded.value, recorded_at = excluded.recorded_at
        WHERE o.value IS DISTINCT FROM excluded.value
    RETURNING o.channel_id, o.metric, o.post_id, o.observed_at, o.value, o.previous_value,
              o.recorded_at
), corrections AS (
    INSERT INTO metric_corrections (team_id, channel_id, metric, post_id, observed_at, recorded_at, replaced)
    SELECT $1, channel_id, metric, post_id, observed_at, recorded_at, previous_value
    FROM changed
    WHERE previous_value IS NOT NULL
    ON CONFLICT DO NOTHING
)
SELECT channel_id, metric, post_id, observed_at, value, previous_value FROM changed
