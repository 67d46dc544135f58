// What the workspace services share: the borrowed store, clock, random and options, and the
// caches and audit log owned by the Workspace. Internal to src/workspace/.
#pragma once

#include "base/clock.h"
#include "base/random.h"
#include "store/store.h"
#include "workspace/access.h"
#include "workspace/audit.h"
#include "workspace/options.h"
#include "auth/pat_cache.h"

namespace latchkey::workspace {

struct ServiceDeps {
  store::WorkspaceStore& store;  // principals, groups, permissions and tokens
  const Clock& clock;
  Random& random;
  const WorkspaceOptions& options;
  AuditLog& audit;
  AccessControl& access;
  auth::PatCache& pats;

  // Called after every write this process makes, on top of the store's change listener, so
  // that a later request in this process never sees a stale answer.
  void Invalidate() const {
    access.Invalidate();
  }
};

}  // namespace latchkey::workspace
