-- Checks one command's expected version and moves its stream head past the new events, in
-- one statement that never raises: the answer says whether the command may go ahead.
-- $1 team, $2 stream, $3 expected version (null: any), $4 event count, $5 first event id,
-- $6 stream type.
WITH dup AS (
    SELECT 1 FROM events WHERE team_id = $1 AND event_id = $5
), upd AS (
    UPDATE streams SET version = version + $4
    WHERE team_id = $1 AND stream_id = $2
      AND ($3::int8 IS NULL OR version = $3::int8)
      AND NOT EXISTS (SELECT 1 FROM dup)
    RETURNING version
), ins AS (
    INSERT INTO streams (team_id, stream_id, stream_type, version)
    SELECT $1, $2, $6, $4
    WHERE coalesce($3::int8, 0) = 0
      AND NOT EXISTS (SELECT 1 FROM upd)
      AND NOT EXISTS (SELECT 1 FROM dup)
    ON CONFLICT (team_id, stream_id) DO NOTHING
    RETURNING version
)
SELECT (SELECT version FROM upd UNION ALL SELECT version FROM ins LIMIT 1) AS new_version,
       EXISTS (SELECT 1 FROM dup) AS duplicate,
       (SELECT version FROM streams WHERE team_id = $1 AND stream_id = $2) AS previous_version
