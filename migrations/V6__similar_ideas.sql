-- Trigram similarity for "ideas like this title", so a fan votes instead of posting a
-- duplicate. pg_trgm is a trusted extension: the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX events_idea_titles ON events USING gin ((data->>'title') gin_trgm_ops)
    WHERE event_type = 'IdeaSubmitted';
