#!/usr/bin/env bash
# Times the README's first run on a fresh checkout: clone, `bash crmsync/start.sh`
# (embedded default: SQLite, in-process tasks), then — as a new user would in the
# console's guided path — test the demo Salesforce connection, generate Contact,
# create a "Two-way contacts" workflow from its template and run it to the end.
# Prints the seconds from the clone to the finished run. Usage: .ci/first_run_timing.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
port=${PORT:-8765}
began=$(date +%s.%N)
git clone -q "$repo" "$work/crmsync"
cd "$work/crmsync"
env -u DATABASE_URL -u CELERY_BROKER_URL -u CRMSYNC_VAR_DIR \
  bash crmsync/start.sh --addr "127.0.0.1:$port" --salesforce-port "${SF_PORT:-18443}" --dynamics-port "${DYN_PORT:-19443}" \
  > "$work/start.log" 2>&1 &
demo=$!
trap 'kill -INT $demo 2>/dev/null; wait $demo 2>/dev/null; rm -rf "$work"' EXIT
until grep -q "^login: " "$work/start.log" 2>/dev/null; do
  kill -0 $demo 2>/dev/null || { cat "$work/start.log"; exit 1; }
  sleep 1
done
password=$(sed -n 's/^login: admin \/ //p' "$work/start.log")
.venv/bin/python - "$port" "$password" <<'PY'
import sys, time
import requests

port, password = sys.argv[1], sys.argv[2]
base = f"http://127.0.0.1:{port}"
s = requests.Session()
for _ in range(120):
    try:
        if s.get(f"{base}/admin/login/", timeout=2).status_code == 200:
            break
    except requests.RequestException:
        time.sleep(0.5)
s.post(f"{base}/admin/login/", data={"username": "admin", "password": password, "next": "/admin/",
                                      "csrfmiddlewaretoken": s.cookies["csrftoken"]}, headers={"Referer": base})
s.headers.update({"X-CSRFToken": s.cookies["csrftoken"], "Referer": base})

def api(method, path, **kw):
    answer = s.request(method, f"{base}/api/{path}", timeout=60, **kw)
    assert answer.status_code < 300, (path, answer.status_code, answer.text)
    return answer.json()

account = next(a for a in api("GET", "external-accounts/")["results"] if a["internal_name"] == "sf-demo")
print("test connection:", api("POST", f"external-accounts/{account['id']}/test/")["detail"])
schema_id = api("POST", f"external-accounts/{account['id']}/schemas/", json={"tables": ["Contact"]})[0]["schema"]["id"]
workflow = api("POST", "workflows/from-template/", json={"template": "two-way-contacts", "account": account["id"],
                                                         "schema": schema_id})
run = api("POST", f"workflows/{workflow['id']}/run/")["run"]
while (state := api("GET", f"runs/{run}/"))["status"] in ("queued", "running"):
    time.sleep(0.5)
print("run", run, state["status"], [(a["operation"], a["read"], a["inserted"], a["updated"]) for a in state["activities"]])
assert state["status"] == "succeeded"
PY
ended=$(date +%s.%N)
printf 'fresh checkout to a finished two-way Contact sync: %.0f s\n' "$(echo "$ended - $began" | bc)"
