-- The enclave's audit log (enclave/src/audit/log.ts), as it arrives with each sealed state: the
-- entries, one per seq, and the heads the enclave signed. Public and integrity-checked by anyone
-- (hash chain, head signatures, anchors on chain); the host keeps them and serves GET /v1/audit.
-- Stored in the transaction that stores the state they came with; never rewritten.
CREATE TABLE audit_entries (
  seq             INTEGER PRIMARY KEY CHECK (seq >= 0),
  prev_hash       TEXT NOT NULL CHECK (length(prev_hash) = 66),
  kind            TEXT NOT NULL,
  payload_digest  TEXT NOT NULL CHECK (length(payload_digest) = 66),
  time            INTEGER NOT NULL CHECK (time >= 0)
) STRICT;
CREATE TABLE audit_heads (
  seq        INTEGER PRIMARY KEY CHECK (seq >= 0),
  head       TEXT NOT NULL CHECK (length(head) = 66),
  signer     TEXT NOT NULL CHECK (length(signer) = 42),
  signature  TEXT NOT NULL CHECK (length(signature) = 132)
) STRICT;
