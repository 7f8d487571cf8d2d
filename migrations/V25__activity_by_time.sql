-- The activity feed read as it stood at an instant (`known_at`): the newest line recorded by
-- then is found by this index, whatever the length of the team's feed since.
CREATE INDEX activity_team_at ON activity (team_id, at);
