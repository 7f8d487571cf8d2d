-- The board's write limits, shared by every server: per client address and per contributor
-- token, the theoretical arrival time of the next write allowed (GCRA). Unlogged: limits are
-- not worth a disk flush per write, and a crash that empties the table only forgives.
CREATE UNLOGGED TABLE board_limits (
    key text        PRIMARY KEY,
    tat timestamptz NOT NULL
);
