-- Invitations waiting to be accepted: whom (personal data, gone with the row) and the hash of
-- the one-time code, which is shown once and never stored. The row is deleted when the
-- invitation is accepted or revoked, and once it has expired.
CREATE TABLE invitations (
    team_id       uuid        NOT NULL,
    invitation_id uuid        NOT NULL,
    email         text        NOT NULL,
    name          text,
    code_hash     bytea       NOT NULL UNIQUE,
    expires_at    timestamptz NOT NULL,
    PRIMARY KEY (team_id, invitation_id)
);

-- What a member calls each of their tokens, and when it was last used (to the minute).
ALTER TABLE tokens ADD COLUMN name text, ADD COLUMN last_used_at timestamptz;
