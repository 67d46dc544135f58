-- Web page sessions (issue 24): a person signed in through an upstream provider. The session id
-- itself lives only in the browser's cookie; the store keeps its SHA-256 hex (token_hash) and a
-- public random id (id) that lists and revocations name. Times are unix milliseconds.
-- expires_at is the absolute timeout; the idle timeout is checked against last_seen_at.
CREATE TABLE web_sessions (
  id TEXT PRIMARY KEY NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  principal_id @INT@ NOT NULL REFERENCES principals (id) ON DELETE CASCADE,
  provider_id TEXT NOT NULL,
  created_at @INT@ NOT NULL,
  last_seen_at @INT@ NOT NULL,
  expires_at @INT@ NOT NULL,
  address TEXT NOT NULL,
  user_agent TEXT NOT NULL
);
CREATE INDEX web_sessions_principal ON web_sessions (principal_id);
CREATE INDEX web_sessions_expires ON web_sessions (expires_at);
CREATE INDEX web_sessions_last_seen ON web_sessions (last_seen_at);
