-- Where each scored file's encrypted feature entry is kept (sealed inside the enclave, opaque to
-- the host): in the blob store under the entry's own SHA-256; this row maps the file to it. The
-- enclave asks for entries back when a job needs them (channel job.features).
CREATE TABLE feature_entries (
  file_id       TEXT PRIMARY KEY CHECK (length(file_id) = 66),
  entry_sha256  TEXT NOT NULL CHECK (length(entry_sha256) = 66),
  bytes         INTEGER NOT NULL CHECK (bytes > 0),
  saved_at      INTEGER NOT NULL
) STRICT;
