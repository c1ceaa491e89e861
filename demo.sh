#!/usr/bin/env bash
# One-command demo: builds the bundle, assembles a local NiFi 2.3.0 with it, starts PostgreSQL, an FTP server
# and a sample CRM API with sample data, runs the flows, and keeps the NiFi UI open until Ctrl-C.
# The local NiFi has NO LOGIN and listens on 127.0.0.1 only.
# Extra Maven arguments can be passed in MAVEN_ARGS (e.g. MAVEN_ARGS=-o for an offline build).
set -euo pipefail
cd "$(dirname "$0")"

# shellcheck source=scripts/use-jdk21.sh
. scripts/use-jdk21.sh

# shellcheck disable=SC2086
mvn -B -q -DskipTests ${MAVEN_ARGS:-} package

E2E=nifi-datasync-e2e
NIFI_HOME="$E2E/target/nifi-$(sed -n 's:.*<nifi.version>\(.*\)</nifi.version>.*:\1:p' pom.xml | head -1)"
if [ ! -d "$NIFI_HOME/lib" ]; then
    echo "ERROR: no assembled NiFi at $NIFI_HOME" >&2
    exit 1
fi

# exec: Ctrl-C reaches the demo's JVM directly, whose shutdown hook stops NiFi and the peers.
exec "$JAVA_HOME/bin/java" \
    -Dnifi.e2e.home="$PWD/$NIFI_HOME" \
    -Dnifi.e2e.runs="$PWD/$E2E/target/demo-runs" \
    -cp "$E2E/target/classes:$(cat "$E2E/target/demo-classpath.txt")" \
    io.datasync.nifi.e2e.Demo --templates templates "$@"
