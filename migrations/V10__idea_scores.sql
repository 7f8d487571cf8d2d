-- Each folded aggregate's stream version, for the ETags of list items.
ALTER TABLE aggregates ADD COLUMN version bigint NOT NULL DEFAULT 0;

-- The trending score, kept up to date vote by vote. A vote cast at t weighs 2^(x(t) - x(now))
-- where x counts half-lives (7 days) since 2026-01-01; an idea's `log2_weight` is
-- log2(sum of 2^x(t)) over its current votes, so its trending score at any instant is
-- 2^(log2_weight - x(now)), and ordering by log2_weight is trending order at any instant.
-- One row per contributor who ever voted on an idea: whether the vote stands, when it was
-- cast, and the position of the last vote event applied (a re-delivered event is skipped).
CREATE TABLE idea_voters (
    team_id        uuid        NOT NULL,
    idea_id        uuid        NOT NULL,
    contributor_id uuid        NOT NULL,
    voted          boolean     NOT NULL,
    voted_at       timestamptz NOT NULL,
    position       bigint      NOT NULL,
    PRIMARY KEY (team_id, idea_id, contributor_id)
);

CREATE TABLE idea_scores (
    team_id     uuid    NOT NULL,
    idea_id     uuid    NOT NULL,
    voters      integer NOT NULL,
    log2_weight double precision,
    PRIMARY KEY (team_id, idea_id)
);
