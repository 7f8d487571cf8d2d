-- The streams of one kind in a team (its channels, its goals), read when a metric batch or
-- an idea names channels: without this index the read walks every stream of the team, and
-- every idea and every metric batch is a stream of its own.
CREATE INDEX streams_by_type ON streams (team_id, stream_type, stream_id);
