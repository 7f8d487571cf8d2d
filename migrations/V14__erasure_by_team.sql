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
