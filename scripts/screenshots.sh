#!/usr/bin/env bash
# Screenshots of the template flows in the real NiFi UI, for docs/images/.
# Runs ./demo.sh (which builds, starts NiFi and the local peers, imports and runs both templates), waits for its
# summary, takes one headless-Chromium screenshot per imported group, then stops the demo with Ctrl-C (SIGINT).
# Needs chromium (Debian: apt-get install -y chromium). Extra Maven arguments: MAVEN_ARGS (e.g. -o).
set -euo pipefail
cd "$(dirname "$0")/.."

CHROMIUM="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$CHROMIUM" ]; then
    echo "ERROR: chromium not found" >&2
    exit 1
fi
OUT=docs/images
mkdir -p "$OUT"
LOG="$(mktemp)"

./demo.sh > "$LOG" 2>&1 &
DEMO_PID=$!
stop_demo() {
    if kill -0 "$DEMO_PID" 2>/dev/null; then
        kill -INT "$DEMO_PID" 2>/dev/null || true
        for _ in $(seq 1 90); do
            kill -0 "$DEMO_PID" 2>/dev/null || break
            sleep 1
        done
    fi
    rm -f "$LOG"
}
trap stop_demo EXIT

for _ in $(seq 1 900); do
    if grep -q 'Press Ctrl-C' "$LOG"; then
        break
    fi
    if ! kill -0 "$DEMO_PID" 2>/dev/null; then
        cat "$LOG" >&2
        echo "ERROR: the demo stopped" >&2
        exit 1
    fi
    sleep 1
done
UI="$(sed -n 's/^NiFi UI: *\(http[^ ]*\).*/\1/p' "$LOG" | head -1)"
BASE="${UI%/nifi*}"
echo "NiFi UI at $UI"

# The imported groups: name and id, from the root group's flow.
curl -s "$BASE/nifi-api/flow/process-groups/root" | python3 -c '
import json, sys
flow = json.load(sys.stdin)["processGroupFlow"]["flow"]
for group in flow["processGroups"]:
    print(group["component"]["name"], group["id"])
' | while read -r name id; do
    for view in "$id"; do
        "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
            --disable-sync --no-first-run --hide-scrollbars --window-size=1600,1000 --virtual-time-budget=20000 \
            --screenshot="$OUT/$name.png" "$BASE/nifi/#/process-groups/$view" > /dev/null 2>&1 || true
        echo "Wrote $OUT/$name.png"
    done
done
