#!/usr/bin/env bash
# Screenshots of the template flows in the real NiFi UI, for docs/images/.
# Runs ./demo.sh (which builds, starts NiFi and the local peers, imports and runs its templates), waits for its
# summary, uploads any template of templates/ the demo did not import (unconfigured, only to be pictured), then
# runs scripts/screenshots.cjs (Playwright driving Debian's Chromium) for one screenshot per template: the group's
# canvas with the Navigate and Operate palettes collapsed and the flow fitted to the window. Stops the demo at the
# end, on failure and on Ctrl-C (SIGTERM: a background job of a non-interactive shell ignores SIGINT; the demo's
# shutdown hook runs on either).
# Needs chromium (Debian: apt-get install -y chromium), node and npm; playwright-core and upng-js are installed into a
# temporary directory (removed afterwards) unless PLAYWRIGHT_DIR names a directory whose node_modules has both.
# Extra Maven arguments: MAVEN_ARGS (e.g. -o).
set -euo pipefail
cd "$(dirname "$0")/.."

CHROMIUM="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$CHROMIUM" ]; then
    echo "ERROR: chromium not found" >&2
    exit 1
fi
command -v node > /dev/null || { echo "ERROR: node not found" >&2; exit 1; }
OUT=docs/images
mkdir -p "$OUT"
LOG="$(mktemp)"
WORK="$(mktemp -d)"
DEMO_PID=
NODE_PID=

cleanup() {
    # The screenshot driver first (Playwright closes its Chromium when its node process is told to stop).
    if [ -n "$NODE_PID" ] && kill -0 "$NODE_PID" 2>/dev/null; then
        kill -TERM "$NODE_PID" 2>/dev/null || true
        wait "$NODE_PID" 2>/dev/null || true
    fi
    # The demo: its JVM's shutdown hook stops NiFi and the peers. It runs in a process group of its own (setsid);
    # anything of that group still alive afterwards (the Maven build, when stopped before the demo started) is ended.
    if [ -n "$DEMO_PID" ]; then
        if kill -0 "$DEMO_PID" 2>/dev/null; then
            kill -TERM "$DEMO_PID" 2>/dev/null || true
            for _ in $(seq 1 120); do
                kill -0 "$DEMO_PID" 2>/dev/null || break
                sleep 1
            done
        fi
        kill -TERM -- "-$DEMO_PID" 2>/dev/null || true
    fi
    rm -rf "$LOG" "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# playwright-core and upng-js: from PLAYWRIGHT_DIR if it has them, else installed into the temporary directory.
if [ -n "${PLAYWRIGHT_DIR:-}" ] && [ -d "$PLAYWRIGHT_DIR/node_modules/playwright-core" ] && [ -d "$PLAYWRIGHT_DIR/node_modules/upng-js" ]; then
    export NODE_PATH="$PLAYWRIGHT_DIR/node_modules"
else
    (cd "$WORK" && npm install --silent --no-audit --no-fund --no-save playwright-core@1 upng-js@2 > /dev/null)
    export NODE_PATH="$WORK/node_modules"
fi

setsid ./demo.sh > "$LOG" 2>&1 &
DEMO_PID=$!

started=
for _ in $(seq 1 1200); do
    if grep -q 'Press Ctrl-C' "$LOG"; then
        started=yes
        break
    fi
    if ! kill -0 "$DEMO_PID" 2>/dev/null; then
        break
    fi
    sleep 1
done
if [ -z "$started" ]; then
    cat "$LOG" >&2
    echo "ERROR: the demo did not reach its summary" >&2
    exit 1
fi
UI="$(sed -n 's/^NiFi UI: *\(http[^ ]*\).*/\1/p' "$LOG" | head -1)"
BASE="${UI%/nifi*}"
echo "NiFi UI at $UI"

# Templates the demo did not import are uploaded beside its groups (not configured, not started: only pictured).
# Then every group on the root canvas, as name=id, for the screenshot driver.
GROUPS_FILE="$WORK/groups"
BASE="$BASE" TEMPLATES=templates WORK="$WORK" python3 - > "$GROUPS_FILE" <<'PY'
import json, os, subprocess, urllib.request

base = os.environ["BASE"]

def root_groups():
    with urllib.request.urlopen(base + "/nifi-api/flow/process-groups/root") as response:
        flow = json.load(response)["processGroupFlow"]
    return flow["id"], {g["component"]["name"]: g for g in flow["flow"]["processGroups"]}

root_id, groups = root_groups()
names = sorted(f[:-5] for f in os.listdir(os.environ["TEMPLATES"]) if f.endswith(".json"))
right = max((g["component"]["position"]["x"] for g in groups.values()), default=-480.0)
for name in names:
    if name in groups:
        continue
    right += 480.0
    subprocess.run(["curl", "-sf", "-o", "/dev/null", "-F", "groupName=" + name, "-F", "positionX=%s" % right,
                    "-F", "positionY=0.0", "-F", "clientId=screenshots", "-F",
                    "file=@%s/%s.json;type=application/json" % (os.environ["TEMPLATES"], name),
                    base + "/nifi-api/process-groups/%s/process-groups/upload" % root_id], check=True)
root_id, groups = root_groups()
for name in names:
    print("%s=%s" % (name, groups[name]["id"]))
PY

# shellcheck disable=SC2046
node scripts/screenshots.cjs "$BASE" "$OUT" $(cat "$GROUPS_FILE") &
NODE_PID=$!
wait "$NODE_PID"
NODE_PID=
