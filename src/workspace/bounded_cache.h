// The workspace's name for base/ttl_cache.h's cache.
#pragma once

#include "base/ttl_cache.h"

namespace latchkey::workspace {
template <class V>
using BoundedTtlCache = ::latchkey::TtlCache<V>;
}  // namespace latchkey::workspace
