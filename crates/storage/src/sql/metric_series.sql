-- $7 is day, week (ISO, from Monday) or month; buckets are cut in UTC.
SELECT date_trunc($7, observed_at, 'UTC') AS bucket,
       count(*), sum(value), min(value), max(value),
       (array_agg(value ORDER BY observed_at DESC))[1] AS last
FROM metric_observations
WHERE team_id = $1 AND channel_id = $2 AND metric = $3 AND post_id = $4
  AND ($5::timestamptz IS NULL OR observed_at >= $5)
  AND ($6::timestamptz IS NULL OR observed_at < $6)
GROUP BY 1
ORDER BY 1
