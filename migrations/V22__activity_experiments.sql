-- The activity feed now has lines for experiments: it is built again from the log, whose
-- experiment events it skipped until now. Its lines are keyed by position, so the rebuild
-- writes each line once.
DELETE FROM activity;
DELETE FROM activity_subjects;
UPDATE projections SET position = 0, updated_at = now() WHERE name = 'activity';
DELETE FROM projection_failures WHERE projection = 'activity';
