-- Inserts new observations and overwrites changed ones, keeping the old value as
-- previous_value; returns only what changed. An observation repeated with the same value
-- matches no row here, so it produces no event.
INSERT INTO metric_observations AS o (team_id, channel_id, metric, post_id, observed_at, value)
SELECT $1, r.channel_id, r.metric, r.post_id, r.observed_at, r.value
FROM unnest($2::uuid[], $3::text[], $4::uuid[], $5::timestamptz[], $6::float8[])
     AS r(channel_id, metric, post_id, observed_at, value)
ON CONFLICT (team_id, channel_id, metric, post_id, observed_at) DO UPDATE
    SET previous_value = o.value, value = excluded.value
    WHERE o.value IS DISTINCT FROM excluded.value
RETURNING o.channel_id, o.metric, o.post_id, o.observed_at, o.value, o.previous_value
