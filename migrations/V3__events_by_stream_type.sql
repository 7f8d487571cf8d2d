-- Reads of all of a team's aggregates of one kind (its channels, its goals) in log order.
CREATE INDEX events_by_team_stream_type ON events (team_id, stream_type, position);
