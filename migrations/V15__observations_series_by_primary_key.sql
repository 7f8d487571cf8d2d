-- Channel-wide series are read along the primary key (team_id, channel_id, metric, post_id,
-- observed_at) with post_id fixed to the nil UUID: the very order the partial series index of
-- V8 kept. Every channel-wide observation written paid for both; the primary key alone
-- serves every read.
DROP INDEX metric_observations_series;
