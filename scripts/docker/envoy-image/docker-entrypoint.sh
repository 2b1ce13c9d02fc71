#!/bin/sh
# As in the envoyproxy/envoy images: flags alone (`-c file …`) are passed to envoy.
set -e
if [ "${1#-}" != "$1" ]; then
  set -- envoy "$@"
fi
exec "$@"
