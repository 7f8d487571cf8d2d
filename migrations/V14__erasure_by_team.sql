-- Kept Idempotency-Key responses belong to the team of the token that made them, so that
-- erasing a person forgets the kept responses of their own team that name them, found by
-- index, and never reads or touches another team's.
--
-- Responses kept until now say nothing of their team, and some of them answered anonymous
-- sign-ups and board joins, which are no longer replayed (an anonymous key could be anyone's)
-- yet hold names, e-mail addresses and secrets. They are dropped: a keyed request repeated
-- across this migration is handled afresh.
DELETE FROM idempotency_keys;

ALTER TABLE idempotency_keys ADD COLUMN team_id uuid NOT NULL;

CREATE INDEX idempotency_keys_by_team ON idempotency_keys (team_id);

-- A member's name and e-mail address can be erased once they have left the team (events only
-- ever held their id): both become null and `erased_at` says when. A current member always
-- has both.
ALTER TABLE members
    ALTER COLUMN name DROP NOT NULL,
    ALTER COLUMN email DROP NOT NULL,
    ADD COLUMN erased_at timestamptz,
    ADD CONSTRAINT members_erased_only_after_leaving
        CHECK (erased_at IS NULL OR removed_at IS NOT NULL),
    ADD CONSTRAINT members_named_unless_erased
        CHECK (erased_at IS NOT NULL OR (name IS NOT NULL AND email IS NOT NULL));
