-- Since when every delivery to an endpoint has failed (null while the last one succeeded):
-- an endpoint failing for 24 hours straight is paused.
ALTER TABLE webhook_secrets ADD COLUMN failing_since timestamptz;

-- The signal watcher's memory (`goal.status_changed`, `cadence.period_at_risk`,
-- `idea.trending`): the teams it watches, because one of their active endpoints names a
-- signal, and what it last saw of each subject there. A signal is queued in the transaction
-- that records the change it announces, so each change is announced once. A team no longer
-- watched is forgotten with everything seen there.
CREATE TABLE webhook_signal_teams (
    team_id       uuid        PRIMARY KEY,
    watched_since timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_signals (
    team_id    uuid NOT NULL REFERENCES webhook_signal_teams ON DELETE CASCADE,
    signal     text NOT NULL,
    subject_id uuid NOT NULL,
    state      text NOT NULL,
    PRIMARY KEY (team_id, signal, subject_id)
);
