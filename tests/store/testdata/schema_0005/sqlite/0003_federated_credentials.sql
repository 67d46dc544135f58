-- Federated identity credentials (workload identity federation, issue 21): an external OpenID
-- issuer's token whose iss, sub and one aud equal a row's exactly authenticates as the
-- application. audiences is a JSON array (TEXT); created_at unix milliseconds. Names are
-- unique per application case-insensitively (name_key = lower(name)), and so are
-- (issuer, subject) pairs.
CREATE TABLE federated_credentials (
  id TEXT PRIMARY KEY NOT NULL,
  app_object_id TEXT NOT NULL REFERENCES applications (object_id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  name_key TEXT NOT NULL,
  issuer TEXT NOT NULL,
  subject TEXT NOT NULL,
  audiences TEXT NOT NULL,
  description TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (app_object_id, name_key),
  UNIQUE (app_object_id, issuer, subject)
);
