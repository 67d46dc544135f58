-- Databricks U2M refresh tokens (issue 24). Only the SHA-256 hex of a token is kept. A family
-- is one sign-in's chain of rotations; presenting a used token revokes the whole family.
-- Times are unix milliseconds; used_at NULL until the token was rotated.
CREATE TABLE oauth_refresh_tokens (
  token_hash TEXT PRIMARY KEY NOT NULL,
  family_id TEXT NOT NULL,
  principal_id BIGINT NOT NULL REFERENCES principals (id) ON DELETE CASCADE,
  client_id TEXT NOT NULL,
  scope TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  used_at BIGINT,
  revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX oauth_refresh_tokens_family ON oauth_refresh_tokens (family_id);
CREATE INDEX oauth_refresh_tokens_expires ON oauth_refresh_tokens (expires_at);
