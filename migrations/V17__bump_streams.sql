-- Checks the expected version of every command of a group-commit batch and moves each
-- stream head past its new events: one call per batch instead of one statement per command,
-- and nothing raised for an ordinary refusal. One
-- row per command (n, from 1 as given): its new version (null when refused), whether its
-- first event is already stored (an idempotent retry: nothing is written), and the head it
-- found.
--
-- Commands are taken in (team, stream) order, so that two batches touching the same streams
-- lock them in the same order and cannot deadlock; commands on one stream follow each other
-- in the order given, each seeing the head the one before it left. Each step is a lookup by
-- key whatever the statistics say, which a set-based statement over the batch could not
-- promise while the tables grow faster than they are analyzed.
CREATE FUNCTION bump_streams(
    p_teams uuid[], p_streams uuid[], p_expected bigint[], p_counts bigint[],
    p_first_ids uuid[], p_types text[])
RETURNS TABLE (n integer, new_version bigint, duplicate boolean, previous_version bigint)
LANGUAGE plpgsql AS $$
DECLARE
    i integer;
BEGIN
    FOR i IN
        SELECT o.n FROM unnest(p_teams, p_streams) WITH ORDINALITY AS o (team_id, stream_id, n)
        ORDER BY o.team_id, o.stream_id, o.n
    LOOP
        n := i;
        new_version := NULL;
        previous_version := NULL;
        duplicate := EXISTS (SELECT 1 FROM events AS e
                             WHERE e.team_id = p_teams[i] AND e.event_id = p_first_ids[i]);
        IF NOT duplicate THEN
            SELECT s.version INTO previous_version FROM streams AS s
            WHERE s.team_id = p_teams[i] AND s.stream_id = p_streams[i]
            FOR UPDATE;
            IF FOUND THEN
                IF p_expected[i] IS NULL OR p_expected[i] = previous_version THEN
                    new_version := previous_version + p_counts[i];
                    UPDATE streams AS s SET version = new_version
                    WHERE s.team_id = p_teams[i] AND s.stream_id = p_streams[i];
                END IF;
            ELSIF coalesce(p_expected[i], 0) = 0 THEN
                INSERT INTO streams AS s (team_id, stream_id, stream_type, version)
                VALUES (p_teams[i], p_streams[i], p_types[i], p_counts[i])
                ON CONFLICT (team_id, stream_id) DO NOTHING
                RETURNING s.version INTO new_version;
            END IF;
        END IF;
        RETURN NEXT;
    END LOOP;
END;
$$;
