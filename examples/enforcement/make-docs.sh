#!/usr/bin/env bash
# Runs both enforcement scenarios and copies what they produce into docs/enforcement/, with each run's transcript
# (every command and its output). The network scenario runs on the IRA 2016 window (FiveThirtyEight/Clemson tweets,
# 1 Sep - 30 Nov 2016) from ../shared/data. Run from the repository's root:  examples/enforcement/make-docs.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-../shared/data/ira_538_by_author}
WORK=.tmp/enforcement-docs
DOCS=docs/enforcement
rm -rf "$WORK" && mkdir -p "$WORK"
overt -q ingest "$DATA/ira_tweets_2016-09_2016-11.csv.gz" "$DATA/authors.csv" --out "$WORK/ira2016" --overwrite >/dev/null
overt -q scan "$WORK/ira2016" --out "$WORK/ira2016-scan" --overwrite >/dev/null

examples/enforcement/seed-scenario.sh "$WORK/seed" >"$WORK/seed-transcript.txt" 2>&1
examples/enforcement/network-takedown.sh "$WORK/ira2016-scan" 5 "$WORK/network" >"$WORK/network-transcript.txt" 2>&1

rm -rf "$DOCS/seed-scenario" "$DOCS/network-takedown"
mkdir -p "$DOCS/seed-scenario" "$DOCS/network-takedown/notices"
cp "$WORK/seed-transcript.txt" "$DOCS/seed-scenario/transcript.txt"
cp "$WORK/seed/reply-draft.txt" "$DOCS/seed-scenario/"
cp -r "$WORK/seed/transparency" "$DOCS/seed-scenario/"
cp "$WORK/network-transcript.txt" "$DOCS/network-takedown/transcript.txt"
# Two of the notices (they differ only in the account they go to); the DSA export and the report in full.
ls "$WORK/network/notices" | head -2 | while read -r f; do cp "$WORK/network/notices/$f" "$DOCS/network-takedown/notices/"; done
cp -r "$WORK/network/dsa" "$WORK/network/transparency" "$DOCS/network-takedown/"
echo "written: $DOCS/seed-scenario and $DOCS/network-takedown"
