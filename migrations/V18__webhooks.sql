-- Webhook endpoints are event-sourced (WebhookCreated, WebhookChanged, ...); their signing
-- secrets are not: a secret must be read back to sign each message, so it is kept here as
-- written and never in an event, a log line or a response after the one that created or
-- rotated it. After a rotation the secret before signs beside the new one until
-- previous_until, so receivers can switch without losing a message.
CREATE TABLE webhook_secrets (
    team_id         uuid        NOT NULL,
    webhook_id      uuid        NOT NULL,
    secret          text        NOT NULL,
    previous_secret text,
    previous_until  timestamptz,
    PRIMARY KEY (team_id, webhook_id)
);

-- The outbox: one row per message to one endpoint, written by the `webhook_outbox`
-- projection in the transaction that moves its checkpoint, so no event is missed and none is
-- queued twice (the id is derived from the endpoint and the event). Delivery workers in
-- every server claim due rows with FOR UPDATE SKIP LOCKED and lease them while they send.
-- A claim writes only `attempts` and `leased_until`, which no index holds, so that it can be
-- a HOT update (room is left on each page for it) and the index of due messages is not
-- filled with dead entries by every attempt.
CREATE TABLE webhook_deliveries (
    team_id         uuid        NOT NULL,
    delivery_id     uuid        NOT NULL,
    webhook_id      uuid        NOT NULL,
    event_type      text        NOT NULL,
    position        bigint      NOT NULL,
    payload         jsonb       NOT NULL,
    status          text        NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivered', 'failed', 'dead')),
    attempts        integer     NOT NULL DEFAULT 0,
    last_status     integer,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    leased_until    timestamptz,
    delivered_at    timestamptz,
    PRIMARY KEY (team_id, delivery_id)
) WITH (fillfactor = 70);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status IN ('pending', 'failed');
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (team_id, webhook_id, created_at, delivery_id);

-- The endpoints as the outbox projection folds them: what it fans each event out to, and
-- where the delivery workers send.
CREATE TABLE webhook_endpoints (
    team_id     uuid    NOT NULL,
    webhook_id  uuid    NOT NULL,
    url         text    NOT NULL,
    event_types text[]  NOT NULL,
    active      boolean NOT NULL,
    PRIMARY KEY (team_id, webhook_id)
);
