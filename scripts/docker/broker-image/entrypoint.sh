#!/bin/sh
# Stand-in for the Redpanda image's /entrypoint.sh. The compose service written for the real image runs
# `/entrypoint.sh redpanda start <flags>`; the stand-in has no such flags, so every argument is ignored and
# the broker is configured only from /etc/redpanda/redpanda.yaml (where the compose entrypoint copied it).
# `/entrypoint.sh <other command>` runs that command instead.
set -e
if [ "$#" -gt 0 ] && [ "$1" != "redpanda" ]; then
  exec "$@"
fi
exec node /opt/standin/dist/standin/broker.js --config /etc/redpanda/redpanda.yaml
