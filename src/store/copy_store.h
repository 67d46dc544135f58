// CopyStore: copies every record of one Store into another through the Store interface only, so
// it works between any two backends, in either direction (`latchkeyd migrate-store`, e.g. an
// embedded SQLite data dir onto PostgreSQL). Hashes are copied as they are: every PAT, client
// secret and OAuth secret keeps working. Private signing keys are files in the data dir, not
// records: only their metadata is copied.
#pragma once

#include <array>

#include "base/result.h"
#include "store/store.h"

namespace latchkey::store {

// The workspace configuration keys copied. The Store cannot list its keys, so this list must
// name every key the workspace writes (workspace/workspace_conf.cc).
inline constexpr std::array<const char*, 2> kCopiedConfKeys = {"enableTokensConfig",
                                                               "maxTokenLifetimeDays"};

// Copies tenants, applications with their service principals and credentials, directory
// service principals, signing key metadata, principals, groups, token permissions, PATs (with
// last-used days, expired ones too), OAuth secrets, configuration and the audit log (in order;
// the destination assigns new seq numbers).
//
// `to` must be empty (no tenant, principal, group, signing key, PAT or audit event), else
// kFailedPrecondition and nothing is written. Not atomic: after a failure midway (the store's
// error code, with the record named in the message) `to` holds part of the data; empty it
// and copy again. `from` is only read. Run it while no latchkeyd serves either store.
Status CopyStore(Store& from, Store& to);

}  // namespace latchkey::store
