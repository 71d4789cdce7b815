-- Contributions, the scoring queue that drives them, and the enclave's sealed state.
-- fileId everywhere is the manifest's ciphertextSha256: 0x and 64 lower-case hex digits.

CREATE TABLE contributions (
  file_id         TEXT PRIMARY KEY CHECK (length(file_id) = 66),
  manifest_json   TEXT NOT NULL,
  manifest_sig    TEXT NOT NULL,
  sealed_key      BLOB NOT NULL,
  -- The manifest's signer when the host knows the EIP-712 domain; the enclave decides authoritatively.
  contributor     TEXT,
  size_bytes      INTEGER NOT NULL CHECK (size_bytes >= 0),
  proof_json      TEXT,
  proof_sig       TEXT,
  tx_hash         TEXT,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
) STRICT;

-- One row per contribution; its state is the contribution's status.
CREATE TABLE scoring_queue (
  file_id          TEXT PRIMARY KEY REFERENCES contributions (file_id),
  state            TEXT NOT NULL CHECK (state IN ('queued', 'leased', 'scored', 'submitted', 'failed')),
  worker_id        TEXT,
  lease_expires_at INTEGER,
  attempts         INTEGER NOT NULL DEFAULT 0,
  submit_attempts  INTEGER NOT NULL DEFAULT 0,
  last_error_code  TEXT,
  enqueued_at      INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
) STRICT;

CREATE INDEX scoring_queue_by_state ON scoring_queue (state, enqueued_at);

-- The dataset key wrapped by KMS for the enclave's measurement: opaque to the host.
CREATE TABLE enclave_state (
  id                 INTEGER PRIMARY KEY CHECK (id = 1),
  sealed_dataset_key BLOB NOT NULL,
  updated_at         INTEGER NOT NULL
) STRICT;
