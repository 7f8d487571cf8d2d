-- The workload projection: each event that is a member's work, by the member whose request
-- made it and the day it counts for: a post published (on its publication's day), a review
-- (a post approved, or sent back for changes) or an idea handled (a status changed, a
-- duplicate merged or unmerged). One row per event, keyed by its position, so that an event
-- delivered twice counts once; reads count a window's rows by member and day.
CREATE TABLE workload_events (
    team_id   uuid   NOT NULL,
    position  bigint NOT NULL,
    member_id uuid   NOT NULL,
    day       date   NOT NULL,
    kind      text   NOT NULL CHECK (kind IN ('published', 'review', 'idea')),
    PRIMARY KEY (team_id, position)
);

CREATE INDEX workload_events_by_day ON workload_events (team_id, day);
