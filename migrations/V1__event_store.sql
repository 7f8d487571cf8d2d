-- The event store: the one source of truth. Every change Stride knows of is a row here.
--
-- `position` orders the whole log. It is derived from the writing transaction's id
-- (xid << 16 plus the event's index in that transaction), so positions follow transaction
-- start order, not commit order; readers only read below the oldest transaction still in
-- flight (see events_visible_below), and so never skip an event that commits late.
CREATE TABLE events (
    team_id        uuid        NOT NULL,
    position       bigint      NOT NULL,
    event_id       uuid        NOT NULL,
    stream_id      uuid        NOT NULL,
    stream_type    text        NOT NULL,
    stream_version bigint      NOT NULL CHECK (stream_version > 0),
    event_type     text        NOT NULL,
    schema_version integer     NOT NULL CHECK (schema_version > 0),
    data           jsonb       NOT NULL,
    metadata       jsonb       NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (team_id, position),
    UNIQUE (team_id, event_id),
    UNIQUE (team_id, stream_id, stream_version)
);

-- Readers of the whole log (projectors) go by position alone.
CREATE INDEX events_by_position ON events (position);

-- The head of each stream: appends check and bump it before they insert events, so a lost
-- race is decided here, under a row lock on one stream, and never takes a position.
CREATE TABLE streams (
    team_id     uuid   NOT NULL,
    stream_id   uuid   NOT NULL,
    stream_type text   NOT NULL,
    version     bigint NOT NULL CHECK (version > 0),
    PRIMARY KEY (team_id, stream_id)
);

CREATE FUNCTION events_are_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are immutable: % on events is refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER events_refuse_update_delete
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_are_immutable();

CREATE TRIGGER events_refuse_truncate
    BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_are_immutable();

-- Every position below this bound belongs to a transaction that has ended: events there are
-- final, and no event can still appear below it.
CREATE FUNCTION events_visible_below() RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT (pg_snapshot_xmin(pg_current_snapshot())::text::bigint) << 16
$$;

-- Values that must be unique across aggregates (a team's slug), claimed in the same
-- transaction as the events that introduce them.
CREATE TABLE unique_claims (
    scope   text NOT NULL,
    value   text NOT NULL,
    team_id uuid NOT NULL,
    PRIMARY KEY (scope, value)
);
