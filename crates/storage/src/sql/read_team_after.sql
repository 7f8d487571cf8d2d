SELECT position, team_id, event_id, stream_id, stream_type, stream_version,
       event_type, schema_version, data, metadata, recorded_at
FROM events
WHERE team_id = $1 AND position > $2 AND position < events_visible_below()
ORDER BY position
LIMIT $3
