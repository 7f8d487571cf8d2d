-- Tables outside the event log, for what events must never hold.

-- Members' names and e-mail addresses are personal data: they live here, can be changed and
-- erased, and events refer to members by id only. `role` and `removed_at` mirror the team's
-- events and are written in the same transaction, so that authentication reads one row.
CREATE TABLE members (
    team_id    uuid        NOT NULL,
    member_id  uuid        NOT NULL,
    name       text        NOT NULL,
    email      text        NOT NULL,
    role       text        NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    joined_at  timestamptz NOT NULL DEFAULT now(),
    removed_at timestamptz,
    PRIMARY KEY (team_id, member_id)
);

-- Bearer tokens, stored only as SHA-256 hashes: the token itself is shown once.
CREATE TABLE tokens (
    team_id    uuid        NOT NULL,
    token_id   uuid        NOT NULL,
    member_id  uuid        NOT NULL,
    hash       bytea       NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    PRIMARY KEY (team_id, token_id),
    FOREIGN KEY (team_id, member_id) REFERENCES members (team_id, member_id)
);

CREATE INDEX tokens_by_member ON tokens (team_id, member_id);

-- Responses kept for Idempotency-Key replays (24 hours). `status` is null while the first
-- request is still being handled.
CREATE TABLE idempotency_keys (
    scope        text        NOT NULL,
    key          text        NOT NULL,
    request_hash bytea       NOT NULL,
    status       smallint,
    headers      jsonb,
    body         bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);

CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
