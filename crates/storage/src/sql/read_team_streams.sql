SELECT position, team_id, event_id, stream_id, stream_type, stream_version,
       event_type, schema_version, data, metadata, recorded_at
FROM events
WHERE team_id = $1 AND stream_type = $2
ORDER BY position
