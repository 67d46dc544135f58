// The durable file writer lives in base/files.h (the CLI uses it too); these names stay for
// callers written against crypto::.
#pragma once

#include "base/files.h"

namespace latchkey::crypto {
using ::latchkey::ReadFile;
using ::latchkey::WriteFileAtomic;
using ::latchkey::WritePrivateFile;
}  // namespace latchkey::crypto
