-- The enclave's sealed state (fingerprint index, scored manifests, audit head), opaque to the
-- host: the latest one the enclave returned and the one before it. A new state and the pruning
-- of older ones commit together, so there is never a moment without a confirmed state.
CREATE TABLE sealed_enclave_state (
  counter   INTEGER PRIMARY KEY CHECK (counter >= 0),
  sha256    TEXT NOT NULL CHECK (length(sha256) = 66),
  blob      BLOB NOT NULL,
  saved_at  INTEGER NOT NULL
) STRICT;
