-- Initial schema. Times are unix milliseconds (INTEGER, NULL for "none"); string lists are
-- JSON arrays (TEXT). Secrets are never stored: only their SHA-256 hashes (hex).

-- Directory (Entra-like identity provider).

CREATE TABLE tenants (
  id TEXT PRIMARY KEY NOT NULL,
  display_name TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE applications (
  object_id TEXT PRIMARY KEY NOT NULL,
  app_id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL,
  display_name TEXT NOT NULL,
  identifier_uris TEXT NOT NULL,
  granted_roles TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX applications_tenant ON applications (tenant_id, created_at);

CREATE TABLE password_credentials (
  key_id TEXT PRIMARY KEY NOT NULL,
  app_object_id TEXT NOT NULL REFERENCES applications (object_id) ON DELETE CASCADE,
  display_name TEXT NOT NULL,
  hint TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  start_at INTEGER NOT NULL,
  end_at INTEGER
);
CREATE INDEX password_credentials_app ON password_credentials (app_object_id);

CREATE TABLE certificate_credentials (
  key_id TEXT PRIMARY KEY NOT NULL,
  app_object_id TEXT NOT NULL REFERENCES applications (object_id) ON DELETE CASCADE,
  display_name TEXT NOT NULL,
  certificate_pem TEXT NOT NULL,
  thumbprint_sha1 TEXT NOT NULL,
  start_at INTEGER NOT NULL,
  end_at INTEGER NOT NULL
);
CREATE INDEX certificate_credentials_app ON certificate_credentials (app_object_id);

-- No foreign key to applications: a tenant may hold service principals of applications that
-- live elsewhere (first-party apps). DeleteApplication removes the matching rows itself.
CREATE TABLE directory_service_principals (
  object_id TEXT PRIMARY KEY NOT NULL,
  app_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  display_name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (tenant_id, app_id)
);
CREATE INDEX directory_service_principals_app ON directory_service_principals (app_id);

CREATE TABLE signing_keys (
  kid TEXT PRIMARY KEY NOT NULL,
  public_pem TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  retired_at INTEGER
);

-- Workspace (Databricks-like).

CREATE TABLE principals (
  id INTEGER PRIMARY KEY NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('user', 'service_principal')),
  user_name TEXT NOT NULL COLLATE NOCASE,
  application_id TEXT NOT NULL,
  display_name TEXT NOT NULL,
  external_id TEXT NOT NULL,
  active INTEGER NOT NULL,
  entitlements TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX principals_user_name ON principals (user_name) WHERE user_name <> '';
CREATE UNIQUE INDEX principals_application_id ON principals (application_id)
  WHERE application_id <> '';

CREATE TABLE workspace_groups (
  id INTEGER PRIMARY KEY NOT NULL,
  display_name TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
);

CREATE TABLE group_members (
  group_id INTEGER NOT NULL REFERENCES workspace_groups (id) ON DELETE CASCADE,
  principal_id INTEGER NOT NULL REFERENCES principals (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  PRIMARY KEY (group_id, principal_id)
);
CREATE INDEX group_members_principal ON group_members (principal_id);

-- subject_id is a principal id or a group id, hence no foreign key: DeletePrincipal and
-- DeleteGroup remove the matching rows themselves.
CREATE TABLE token_permissions (
  subject_kind TEXT NOT NULL CHECK (subject_kind IN ('user', 'group', 'service_principal')),
  subject_id INTEGER NOT NULL,
  permission_level TEXT NOT NULL,
  position INTEGER NOT NULL,
  PRIMARY KEY (subject_kind, subject_id)
);

CREATE TABLE pats (
  token_id TEXT PRIMARY KEY NOT NULL,
  owner_id INTEGER NOT NULL REFERENCES principals (id) ON DELETE CASCADE,
  created_by_id INTEGER NOT NULL,
  comment TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  last_used_day INTEGER,
  scopes TEXT NOT NULL
);
CREATE INDEX pats_owner ON pats (owner_id, expires_at);

CREATE TABLE oauth_secrets (
  id TEXT PRIMARY KEY NOT NULL,
  principal_id INTEGER NOT NULL REFERENCES principals (id) ON DELETE CASCADE,
  secret_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX oauth_secrets_principal ON oauth_secrets (principal_id);

CREATE TABLE conf (
  key TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
);

CREATE TABLE audit_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL,
  remote_address TEXT NOT NULL
);
