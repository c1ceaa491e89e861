#!/usr/bin/env bash
# Runs the nifi-datasync benchmark suite (not part of the test command).
#
#   ./bench.sh [quick|full] [part ...]       parts: throughput scaling http state store audit (default: all six), hotspots, writes
#   ./bench.sh profile "CONTESTANT NAME" [seconds] [quick|full]   (IncrementalApiFetch: profiles the http part)
#   ./bench.sh e2e [--rounds 3 --warmup 1 --files 20 --records-per-file 1000 ...]
#       end to end in a real NiFi 2.3.0: the ftp-batch-ingest template against a stock-only flow, FTP to PostgreSQL
#       (about 15-20 minutes; runs in a loopback-only network namespace, so it needs root or user namespaces)
#
# quick: about three minutes, smaller FlowFiles, to check that everything runs.
# full:  what docs/performance.md reports (about 30 minutes on 2 cores; throughput holds 100k-record
#        FlowFiles (6 GB heap), scaling goes to 1M records per FlowFile and needs about 10 GB of heap).
# The report (Markdown) goes to stdout and to target/benchmarks/results-<mode>.md.
# Set BENCH_MVN_FLAGS=-o to build offline; BENCH_ONLY="NAME;NAME" limits the throughput and
# scaling parts to those record contestants (plus the floor); BENCH_TAG=x names the files *-x.md.
set -euo pipefail
cd "$(dirname "$0")"

# shellcheck source=scripts/use-jdk21.sh
. scripts/use-jdk21.sh

MODULE=nifi-datasync-benchmarks
OUT_DIR=target/benchmarks
mkdir -p "$OUT_DIR"

build() {
    echo "Building the processors and the benchmark harness (tests skipped) ..." >&2
    # shellcheck disable=SC2086
    mvn -B -q ${BENCH_MVN_FLAGS:-} -DskipTests -pl "$MODULE" -am package dependency:copy-dependencies -DincludeScope=runtime >&2
}

CLASSPATH_ARG="$MODULE/target/classes:$MODULE/target/dependency/*"
# Same collector and log level for every part; the heap is sized per part below.
JVM_COMMON=(-XX:+UseG1GC -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Djava.awt.headless=true)

heap_for() {
    local part="$1" mode="$2"
    case "$part/$mode" in
        scaling/full) echo "-Xms2g -Xmx10g" ;;
        throughput/full) echo "-Xms6g -Xmx6g" ;;
        state/full) echo "-Xms3g -Xmx3g" ;;
        hotspots/full) echo "-Xms3g -Xmx3g" ;;
        *) echo "-Xms2g -Xmx2g" ;;
    esac
}

run_part() {
    local part="$1" mode="$2"
    local file="$OUT_DIR/$part-$mode${BENCH_TAG:+-$BENCH_TAG}.md"
    echo "== $part ($mode) ==" >&2
    # shellcheck disable=SC2046
    java $(heap_for "$part" "$mode") "${JVM_COMMON[@]}" -cp "$CLASSPATH_ARG" \
        io.datasync.nifi.benchmarks.BenchmarkMain --mode "$mode" --part "$part" --out "$file" \
        ${BENCH_ONLY:+--only "$BENCH_ONLY"} > /dev/null
}

machine_header() {
    local mode="$1"
    echo "## nifi-datasync benchmark results ($mode)"
    echo
    echo "| | |"
    echo "| --- | --- |"
    echo "| date (UTC) | $(date -u '+%Y-%m-%d %H:%M') |"
    echo "| commit | $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)') |"
    echo "| CPU | $(nproc) x $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1) |"
    echo "| memory | $(free -g | awk '/^Mem:/ {print $2 " GiB"}') |"
    echo "| load average at start | $(cut -d' ' -f1-3 /proc/loadavg) |"
    echo "| JDK | $("$JAVA_HOME/bin/java" -version 2>&1 | head -1) |"
    echo "| command | ./bench.sh $mode |"
    echo
}

if [ "${1:-}" = "profile" ]; then
    contestant="${2:?usage: ./bench.sh profile \"CONTESTANT NAME\" [seconds] [quick|full]}"
    seconds="${3:-60}"
    mode="${4:-full}"
    build
    recording="$OUT_DIR/profile-$(echo "$contestant" | tr -c 'A-Za-z0-9' '_').jfr"
    if [ "$contestant" = "IncrementalApiFetch" ]; then
        # The HTTP part under the recorder; the summary keeps only samples inside onTrigger.
        profile_args=(--part http)
    else
        profile_args=(--part profile --contestant "$contestant" --seconds "$seconds")
    fi
    java -Xms3g -Xmx3g "${JVM_COMMON[@]}" -XX:StartFlightRecording=filename="$recording",settings=profile,dumponexit=true \
        -cp "$CLASSPATH_ARG" io.datasync.nifi.benchmarks.BenchmarkMain --mode "$mode" "${profile_args[@]}" >&2
    java -cp "$CLASSPATH_ARG" io.datasync.nifi.benchmarks.JfrTopFrames "$recording" 25 | tee "${recording%.jfr}.txt"
    exit 0
fi

if [ "${1:-}" = "e2e" ]; then
    shift
    E2E=nifi-datasync-e2e
    echo "Building the bundle and assembling NiFi (tests skipped) ..." >&2
    # shellcheck disable=SC2086
    mvn -B -q ${BENCH_MVN_FLAGS:-} -DskipTests -pl "$E2E" -am package >&2
    NIFI_HOME="$E2E/target/nifi-$(sed -n 's:.*<nifi.version>\(.*\)</nifi.version>.*:\1:p' pom.xml | head -1)"
    # The benchmark re-launches itself in a private network namespace and stops everything it started.
    exec "$JAVA_HOME/bin/java" -Xmx512m \
        -Dnifi.e2e.home="$PWD/$NIFI_HOME" \
        -Dnifi.e2e.runs="$PWD/$E2E/target/bench-runs" \
        -cp "$E2E/target/classes:$(cat "$E2E/target/demo-classpath.txt")" \
        io.datasync.nifi.e2e.EndToEndBenchmark --out "$OUT_DIR/e2e${BENCH_TAG:+-$BENCH_TAG}.md" \
        --command "./bench.sh e2e${*:+ $*}" "$@"
fi

mode="${1:-quick}"
case "$mode" in
    quick|full) ;;
    *) echo "usage: ./bench.sh [quick|full] [throughput|scaling|http|state|store|audit|hotspots|writes ...] | profile NAME [seconds] | e2e [options]" >&2; exit 2 ;;
esac
shift || true
parts=("$@")
if [ ${#parts[@]} -eq 0 ]; then
    parts=(throughput http state scaling store audit)
fi

build
report="$OUT_DIR/results-$mode${BENCH_TAG:+-$BENCH_TAG}.md"
machine_header "$mode" > "$report"
for part in "${parts[@]}"; do
    run_part "$part" "$mode"
    cat "$OUT_DIR/$part-$mode${BENCH_TAG:+-$BENCH_TAG}.md" >> "$report"
done
cat "$report"
echo "Report written to $report" >&2
