-- Databricks federation policies (OAuth token federation, issue 21). service_principal_id NULL:
-- account-wide. policy_id is unique per owner; a service principal's policies go with it.
-- audiences is a JSON array (TEXT); times are unix milliseconds.
CREATE TABLE federation_policies (
  uid TEXT PRIMARY KEY NOT NULL,
  service_principal_id BIGINT REFERENCES principals (id) ON DELETE CASCADE,
  policy_id TEXT NOT NULL,
  description TEXT NOT NULL,
  issuer TEXT NOT NULL,
  audiences TEXT NOT NULL,
  subject TEXT NOT NULL,
  subject_claim TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  seq BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE UNIQUE INDEX federation_policies_owner_id
  ON federation_policies ((COALESCE(service_principal_id, 0)), policy_id);
