#!/usr/bin/env bash
# `make run`: init a data dir on first use, print how to use it, serve in the foreground.
set -euo pipefail
build=$1 run_dir=$2 listen=$3
bin="$build/src/app/latchkeyd"
data="$run_dir/data"
boot="$run_dir/bootstrap.json"
mkdir -p "$run_dir"
chmod 700 "$run_dir"
if [ ! -f "$data/latchkey.toml" ]; then
  umask 077
  "$bin" init --data-dir "$data" --listen "$listen" > "$boot.tmp"
  mv "$boot.tmp" "$boot"
  chmod 600 "$boot"
fi
url=$(jq -r .authority "$boot")
cat <<EOT

latchkeyd is starting on $url (data dir: $data)
The bootstrap JSON (admin PAT, directory-admin app, CA path) is in: $boot

Quickstart (in another terminal):
  export CURL_CA_BUNDLE=$(jq -r .ca_cert "$boot")
  curl $url/healthz
  ADMIN=\$(jq -r .admin.token $boot)
  curl -H "Authorization: Bearer \$ADMIN" $url/api/2.0/preview/scim/v2/Me
  # the full seed-article walkthrough is in README.md

Ctrl-C stops the server.
EOT
exec "$bin" serve --data-dir "$data" --log-format text
