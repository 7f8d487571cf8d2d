-- Events a projection could not apply. The projector records the first failure per team and
-- projection, skips that team's later events for it and goes on with every other team's;
-- the team's reads of the projection answer 503 `projection_failed` until a rebuild (which
-- empties this table for the projection) applies its events again.
CREATE TABLE projection_failures (
    team_id    uuid        NOT NULL,
    projection text        NOT NULL,
    position   bigint      NOT NULL,
    error      text        NOT NULL,
    failed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (team_id, projection)
);
