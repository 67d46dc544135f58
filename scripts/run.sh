#!/usr/bin/env bash
# `make run`: init a data dir on first use, print the quickstart with this machine's values
# (URL, CA path, where the admin PAT is, the PATH line for the CLI), serve in the foreground.
# Needs only what `scripts/install-deps.sh run` installs (the build packages, curl and jq).
set -euo pipefail
build=$1 run_dir=$2 listen=$3
top=$(pwd -P)
build=$(cd "$build" && pwd -P)
bin="$build/src/app/latchkeyd"
cli_dir="$build/src/cli"
mkdir -p "$run_dir"
run_dir=$(cd "$run_dir" && pwd -P)
data="$run_dir/data"
boot="$run_dir/bootstrap.json"
chmod 700 "$run_dir"
first_run=no
if [ ! -f "$data/latchkey.toml" ]; then
  umask 077
  "$bin" init --data-dir "$data" --listen "$listen" > "$boot.tmp"
  mv "$boot.tmp" "$boot"
  chmod 600 "$boot"
  first_run=yes
fi
url=$(jq -r .authority "$boot")
ca=$(jq -r .ca_cert "$boot")
if [ "$first_run" = yes ]; then
  echo
  echo "First run: created the data dir $data and the bootstrap JSON $boot (mode 0600)."
  echo "It holds the admin PAT and the directory-admin app's secret, shown nowhere else."
fi
cat <<EOT

latchkeyd is starting on $url (data dir: $data)

Quickstart, in another terminal (README.md's Quickstart continues from here with these values):
  cd $top
  export PATH="$cli_dir:\$PATH"   # the latchkey CLI
  export CURL_CA_BUNDLE=$ca   # trust latchkey's CA
  ADMIN=\$(jq -r .admin.token $boot)   # the workspace admin's PAT
  curl -sS $url/api/2.0/preview/scim/v2/Me -H "Authorization: Bearer \$ADMIN" | jq .userName
  # your first token (a PAT for the admin, valid one hour):
  curl -sS $url/api/2.0/token/create -H "Authorization: Bearer \$ADMIN" \\
    -d '{"comment":"first","lifetime_seconds":3600}' | jq -r .token_value

Ctrl-C stops the server.
EOT
exec "$bin" serve --data-dir "$data" --log-format text
