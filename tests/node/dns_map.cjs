// Preloaded with `node --require`: resolves the host names in LK_DNS_MAP
// ("name=127.0.0.1,other=127.0.0.1") to the given addresses in this process only, as an
// /etc/hosts entry or a container's host mapping would, without touching the machine.
const dns = require("dns");
const map = new Map(
  (process.env.LK_DNS_MAP || "").split(",").filter(Boolean).map((e) => e.split("=")));
const original = dns.lookup;
dns.lookup = function lookup(hostname, options, callback) {
  if (typeof options === "function") {
    callback = options;
    options = {};
  }
  const address = map.get(String(hostname).toLowerCase());
  if (address === undefined) return original.call(dns, hostname, options, callback);
  const family = address.includes(":") ? 6 : 4;
  if (options && options.all) return process.nextTick(callback, null, [{ address, family }]);
  return process.nextTick(callback, null, address, family);
};
