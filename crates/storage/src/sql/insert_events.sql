-- Positions come from this transaction's id: see events_visible_below in the migrations.
INSERT INTO events (team_id, position, event_id, stream_id, stream_type, stream_version,
                    event_type, schema_version, data, metadata)
SELECT e.team_id, (pg_current_xact_id()::text::bigint << 16) + e.idx, e.event_id, e.stream_id,
       e.stream_type, e.stream_version, e.event_type, e.schema_version, e.data, e.metadata
FROM unnest($1::uuid[], $2::int4[], $3::uuid[], $4::uuid[], $5::text[], $6::int8[],
            $7::text[], $8::int4[], $9::jsonb[], $10::jsonb[])
     AS e(team_id, idx, event_id, stream_id, stream_type, stream_version,
          event_type, schema_version, data, metadata)
RETURNING event_id, position, recorded_at
