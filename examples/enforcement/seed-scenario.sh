#!/usr/bin/env bash
# The seed scenario: a government entity asks, informally and through a friend of an employee, for an account that
# would not be seen as a government account. overt records it, flags the conflict with the concealed-affiliation
# policy, escalates it, collects two sign-offs (legal and policy), declines it with reasons, drafts the reply, and
# counts it in the transparency report. Usage: examples/enforcement/seed-scenario.sh OUT_DIR (needs `overt`).
set -euo pipefail
OUT=${1:?usage: seed-scenario.sh OUT_DIR}
mkdir -p "$OUT"
export OVERT_DATABASE_URL="sqlite:///$OUT/overt.db"
rm -f "$OUT/overt.db"
run() { echo "\$ $*"; "$@"; echo; }

run overt people set lena --role legal --reason "legal counsel" --as admin
run overt people set omar --role policy_lead --reason "policy lead" --as admin
run overt people set sam --role analyst --reason "trust and safety analyst" --as admin

run overt requests intake --kind government --entity "Ministry of Information (a fictitious example)" --country FR \
  --channel via_employee --ask create_account \
  --description "Through a friend of an employee: please open an account for our ministry that would not be seen as a government account." \
  --contact-name "A. Official" --contact-email "a.official@example.gov" --as sam

# Only legal and policy may act on the protected case: the analyst who took it in cannot decide it.
run overt requests decide 1 --outcome declined --reason "conflicts with policy" --as sam || true

run overt requests sign-off 1 --recommend declined --as lena \
  --reason "Concealing that a ministry runs an account breaks concealed_state_affiliation#hidden_operator; no legal basis was given."
run overt requests sign-off 1 --recommend declined --as omar \
  --reason "Agree: decline; the request came through an employee, not our channel for authorities."
run overt requests decide 1 --outcome declined --as omar \
  --reason "Declined: an undisclosed government account conflicts with concealed_state_affiliation#hidden_operator." \
  --formal-channel "authorities@platform.example" --reply-out "$OUT/reply-draft.txt"

run overt requests show 1 --as lena
run overt audit verify
run overt transparency report --from "$(date -u +%Y-%m-01)" --to "$(date -u +%Y-%m-%d)" --out "$OUT/transparency"
