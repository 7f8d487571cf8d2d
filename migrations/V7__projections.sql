-- Projections: read models built only from events. Each has a checkpoint (the last position
-- it applied), written in the same transaction as its rows, so a crash never applies an
-- event twice or skips one.
CREATE TABLE projections (
    name       text        PRIMARY KEY,
    position   bigint      NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- The activity feed: what happened in a team, one row per event worth a line. Names of
-- people are not copied here: the feed joins them when read, so an erasure reaches it.
CREATE TABLE activity (
    team_id    uuid        NOT NULL,
    position   bigint      NOT NULL,
    kind       text        NOT NULL,
    actor_id   uuid,
    subject_id uuid        NOT NULL,
    details    jsonb       NOT NULL,
    at         timestamptz NOT NULL,
    PRIMARY KEY (team_id, position)
);

-- What the feed needs to name things: titles and handles as the events left them.
CREATE TABLE activity_subjects (
    team_id    uuid NOT NULL,
    subject_id uuid NOT NULL,
    label      text NOT NULL,
    channel_id uuid,
    PRIMARY KEY (team_id, subject_id)
);
