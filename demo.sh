#!/usr/bin/env bash
# One-command demo: builds the bundle, assembles a local NiFi 2.3.0 with it, starts PostgreSQL, an FTP server
# and a sample CRM API with sample data, runs the flows, and keeps the NiFi UI open until Ctrl-C.
# The local NiFi has NO LOGIN and listens on 127.0.0.1 only.
# Extra Maven arguments can be passed in MAVEN_ARGS (e.g. MAVEN_ARGS=-o for an offline build).
set -euo pipefail
cd "$(dirname "$0")"

java_major() {
    "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | cut -d. -f1
}

pick_jdk() {
    local candidate
    for candidate in "${JAVA_HOME:-}" "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-21-jdk-amd64; do
        if [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ]; then
            local major
            major="$(java_major "$candidate/bin/java")"
            if [ -n "$major" ] && [ "$major" -ge 21 ]; then
                echo "$candidate"
                return 0
            fi
        fi
    done
    return 1
}

if ! JAVA_HOME="$(pick_jdk)"; then
    echo "ERROR: the demo needs a JDK 21 or newer (NiFi 2.x runs on Java 21+). Install one and set JAVA_HOME." >&2
    exit 1
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
echo "Using JDK at $JAVA_HOME ($(java_major "$JAVA_HOME/bin/java"))"

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
