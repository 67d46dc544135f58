-- Client-assertion replay protection: one row per accepted assertion (jti_hash = SHA-256 hex
-- of the client id and the jti, never the assertion), kept until the assertion could no longer
-- be accepted (expires_at, unix milliseconds) and purged after.
CREATE TABLE assertion_jtis (
  jti_hash TEXT PRIMARY KEY NOT NULL,
  app_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX assertion_jtis_expiry ON assertion_jtis (expires_at);
CREATE INDEX assertion_jtis_app ON assertion_jtis (app_id, expires_at);
