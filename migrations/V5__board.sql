-- The community board's tables outside the event log.

-- Contributors: people from the community holding a token for one team's board. Their names
-- and e-mail addresses are personal data: here, erasable, and never in events.
CREATE TABLE contributors (
    team_id        uuid        NOT NULL,
    contributor_id uuid        NOT NULL,
    name           text,
    email          text,
    joined_at      timestamptz NOT NULL DEFAULT now(),
    erased_at      timestamptz,
    PRIMARY KEY (team_id, contributor_id)
);

CREATE TABLE contributor_tokens (
    team_id        uuid        NOT NULL,
    token_id       uuid        NOT NULL,
    contributor_id uuid        NOT NULL,
    hash           bytea       NOT NULL UNIQUE,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (team_id, token_id),
    FOREIGN KEY (team_id, contributor_id) REFERENCES contributors (team_id, contributor_id)
);

-- Current votes, one per contributor per idea, written in the same transaction as the
-- IdeaVoted and IdeaVoteWithdrawn events: a repeated vote matches a row and writes nothing,
-- and a vote needs no idea version, so concurrent votes never conflict.
CREATE TABLE idea_votes (
    team_id        uuid        NOT NULL,
    idea_id        uuid        NOT NULL,
    contributor_id uuid        NOT NULL,
    voted_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (team_id, idea_id, contributor_id)
);
