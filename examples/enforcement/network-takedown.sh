#!/usr/bin/env bash
# The network-takedown scenario: a cluster found by a scan becomes a network case with its evidence frozen; one
# member is excepted; the rest are suspended in one decision, each with a notice and a DSA statement of reasons;
# one account appeals and a reviewer who took no part overturns it, which reverses its suspension; the period's
# statements are exported and validated, and the transparency report is computed from the audit log.
# Usage: examples/enforcement/network-takedown.sh SCAN_DIR CLUSTER OUT_DIR (needs `overt`).
set -euo pipefail
SCAN=${1:?usage: network-takedown.sh SCAN_DIR CLUSTER OUT_DIR}
CLUSTER=${2:?usage: network-takedown.sh SCAN_DIR CLUSTER OUT_DIR}
OUT=${3:?usage: network-takedown.sh SCAN_DIR CLUSTER OUT_DIR}
mkdir -p "$OUT"
export OVERT_DATABASE_URL="sqlite:///$OUT/overt.db"
rm -f "$OUT/overt.db"
TODAY=$(date -u +%Y-%m-%d)
FIRST=$(date -u +%Y-%m-01)
run() { echo "\$ $*"; "$@"; echo; }
# The cluster's lowest- and highest-scoring members: one is excepted, one appeals.
read -r EXCEPT APPEAL < <(python3 - "$SCAN" "$CLUSTER" <<'PY'
import json, subprocess, sys
import duckdb
scan, cluster = sys.argv[1], int(sys.argv[2])
rows = duckdb.sql(
    f"SELECT c.account_id FROM '{scan}/clusters.parquet' c JOIN '{scan}/scores.parquet' s USING (account_id) "
    f"WHERE c.cluster = {cluster} ORDER BY s.score, c.account_id"
).fetchall()
print(rows[0][0], rows[-1][0])
PY
)

run overt people set ana --role analyst --reason "investigations analyst" --as admin
run overt people set ben --role reviewer --reason "trust and safety reviewer" --as admin
run overt people set cleo --role reviewer --reason "appeals reviewer" --as admin

run overt rules backtest src/overt/enforcement/rules/examples/state_backed_offhours.yaml "$SCAN"
run overt cases network "$SCAN" --cluster "$CLUSTER" --reason "flagged by state_backed_offhours in backtest" --as ana
run overt cases except 1 "$EXCEPT" --as ana \
  --reason "lowest score of the cluster; its ties are hashtag games also played by ordinary accounts: reviewed apart"
run overt cases takedown 1 --as ben --decider ana \
  --enforces concealed_state_affiliation#coordinated_concealment --action suspend --state-actor \
  --origin "Russia (Internet Research Agency)" --target US \
  --facts "These accounts posted the same hashtags, mentions and reposts within minutes of each other for three months, kept a weekday office schedule on a clock hours away from the US locations they claim, and presented themselves as unconnected Americans." \
  --reason "coordinated network concealing its operator"
run overt cases notices 1 --out "$OUT/notices"
run overt appeals file 1 "$APPEAL" --as intake \
  --grounds "I run this account myself and am not part of any network."
run overt appeals decide 2 --outcome upheld --as ben --reason "x" || true
run overt appeals decide 2 --outcome overturned --as cleo \
  --reason "The appellant showed that the account is run by one person; its ties to the network are hashtag games, not shared operation."
run overt cases show 1 --as ben
run overt cases relink 1 "$SCAN" --as ana
run overt dsa export --from "$FIRST" --to "$TODAY" --out "$OUT/dsa"
run overt dsa validate "$OUT/dsa"
run overt audit verify
run overt transparency report --from "$FIRST" --to "$TODAY" --out "$OUT/transparency"
