#include "idp/client_cache.h"

namespace latchkey::idp {

std::string ClientCache::Key(const std::string& tenant, const std::string& client_id) {
  return tenant + "|" + client_id;
}

}  // namespace latchkey::idp
