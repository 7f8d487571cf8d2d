SELECT position, team_id, event_id, stream_id, stream_type, stream_version,
       event_type, schema_version, data, metadata, recorded_at
FROM events
WHERE team_id = $1 AND stream_id = $2 AND stream_type = $3
ORDER BY stream_version
