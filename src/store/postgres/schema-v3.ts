/**
 * Schema version 3: one view from any server. `changed` orders every write of a run row (insert or
 * update, by any server: the run's own, a claim, a reaper), so a server reads what the others
 * recorded since it last looked — `changed > cursor` — without scanning the table.
 */
export const SCHEMA_V3 = `
CREATE SEQUENCE mxx_runs_changed;
ALTER TABLE mxx_runs ADD COLUMN changed bigint NOT NULL DEFAULT nextval('mxx_runs_changed');
CREATE INDEX mxx_runs_changed_idx ON mxx_runs (changed);
CREATE FUNCTION mxx_runs_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.changed := nextval('mxx_runs_changed');
  RETURN NEW;
END $$;
CREATE TRIGGER mxx_runs_touch BEFORE UPDATE ON mxx_runs FOR EACH ROW EXECUTE FUNCTION mxx_runs_touch();
`;
