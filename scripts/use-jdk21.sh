# Sourced by .ci/run, demo.sh and bench.sh: picks a JDK 21+ and exports JAVA_HOME and PATH.
# Order: $JAVA_HOME, the default java, then Temurin 25 where these machines keep it.
# NiFi 2.x and this build need Java 21 or newer.

datasync_java_major() {
    "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | cut -d. -f1
}

datasync_pick_jdk() {
    local candidate major default_java
    default_java="$(command -v java 2>/dev/null || true)"
    for candidate in "${JAVA_HOME:-}" \
        "${default_java:+$(dirname "$(dirname "$(readlink -f "$default_java")")")}" \
        /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-21-jdk-amd64; do
        if [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ]; then
            major="$(datasync_java_major "$candidate/bin/java")"
            if [ -n "$major" ] && [ "$major" -ge 21 ]; then
                echo "$candidate"
                return 0
            fi
        fi
    done
    return 1
}

if ! JAVA_HOME="$(datasync_pick_jdk)"; then
    echo "ERROR: nifi-datasync needs a JDK 21 or newer (NiFi 2.x runs on Java 21+). Install one (e.g. Temurin 21 or 25) and set JAVA_HOME." >&2
    exit 1
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
echo "Using JDK at $JAVA_HOME (Java $(datasync_java_major "$JAVA_HOME/bin/java"))"
