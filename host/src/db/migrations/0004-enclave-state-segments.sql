-- The enclave's sealed state in segments (enclave/src/state/segmented-state.ts): the segments,
-- appended once each and never rewritten, and per root the number of segments it names and
-- whether all of them are stored (a reply may arrive before the one carrying an earlier
-- segment). Rows stored before this migration are one-blob states (format 2 or 3), complete
-- by themselves; the enclave migrates one at its next boot.
CREATE TABLE enclave_state_segments (
  seq       INTEGER PRIMARY KEY CHECK (seq >= 0),
  sha256    TEXT NOT NULL CHECK (length(sha256) = 66),
  blob      BLOB NOT NULL,
  saved_at  INTEGER NOT NULL
) STRICT;
ALTER TABLE sealed_enclave_state ADD COLUMN segments INTEGER NOT NULL DEFAULT 0 CHECK (segments >= 0);
ALTER TABLE sealed_enclave_state ADD COLUMN complete INTEGER NOT NULL DEFAULT 1 CHECK (complete IN (0, 1));
