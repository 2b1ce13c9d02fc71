#!/bin/sh
# Stand-in for the Redpanda image's /entrypoint.sh. The compose service written for the real image runs
# `/entrypoint.sh redpanda start <flags>`; the stand-in has no such flags, so every argument is ignored and
# the broker is configured only from /etc/redpanda/redpanda.yaml (where the compose entrypoint copied it).
# `/entrypoint.sh <other command>` runs that command instead.
#
# Redpanda keeps trying to join its cluster for as long as it runs. Kafka's KRaft broker gives up when it
# cannot register with a controller within initial.broker.registration.timeout.ms (60 s) and exits with
# code 1 — which happens when a whole cluster restarts at once on a busy machine. So, to behave like the
# broker it stands in for, the stand-in is started again after an exit with code 1 (at most 5 times);
# SIGTERM/SIGINT (docker stop) are passed on and end the container.
if [ "$#" -gt 0 ] && [ "$1" != "redpanda" ]; then
  exec "$@"
fi
child=""
on_signal() {
  [ -n "$child" ] && kill -TERM "$child" 2>/dev/null
  [ -n "$child" ] && wait "$child"
  exit 0
}
trap on_signal TERM INT
attempt=1
while :; do
  node /opt/standin/dist/standin/broker.js --config /etc/redpanda/redpanda.yaml &
  child=$!
  wait "$child"
  code=$?
  if [ "$code" -ne 1 ] || [ "$attempt" -ge 5 ]; then
    exit "$code"
  fi
  attempt=$((attempt + 1))
  echo "[entrypoint] the stand-in exited with code 1 (Kafka gave up joining its cluster); starting it again (attempt $attempt of 5)" >&2
done
