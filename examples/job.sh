#!/usr/bin/env bash
# The demo job, on the stores of $STORAGE_CONFIG (examples/local.yaml or examples/s3.yaml):
# ingest a folder into `library`, list it, sync it into `archive`, verify the copy (a second sync
# changes nothing, and a restore from the archive equals the folder), keep the report in `reports`.
# usage: examples/job.sh [FOLDER] (no FOLDER: a generated sample folder; runs `storage` from PATH; local files go under STORAGE_DEMO_ROOT,
#                                  which the configs read too; default ./demo-data)
set -euo pipefail
root=${STORAGE_DEMO_ROOT:-./demo-data}
mkdir -p "$root"
say() { printf '\n== %s\n' "$*"; }

folder=${1:-}
if [ -z "$folder" ]; then
  folder="$root/sample"
  if [ ! -d "$folder" ]; then
    say "generate a sample folder: $folder"
    mkdir -p "$folder/notes" "$folder/data/2024"
    printf 'A sample folder for the storage demo.\n' > "$folder/README.txt"
    for i in 1 2 3 4 5; do
      printf 'note %s\n%s\n' "$i" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$folder/notes/note-$i.txt"
    done
    head -c 4096 /dev/urandom > "$folder/data/2024/random.bin"
    seq 1 2000 > "$folder/data/2024/numbers.csv"
  fi
fi

say "check the configuration ($STORAGE_CONFIG)"
storage check --explain

say "ingest $folder into library:"
storage sync --delete "$folder" library:

say "list library:"
storage ls -l library:

say "sync library: into archive:"
storage sync library: archive: --json | tee "$root/sync-report.json"

say "verify: a second sync must change nothing"
storage sync --dry-run library: archive: | tee "$root/verify.txt"
grep -q "would copy 0, update 0, delete 0; unchanged" "$root/verify.txt"

say "verify: restore archive: into restored: and compare with $folder"
storage sync --delete archive: restored:
diff -r "$folder" "$root/restored"
echo "restored copy is identical to $folder"

say "keep the report in reports:"
storage put "$root/sync-report.json" reports:last-sync.json
storage stat reports:last-sync.json

objects=$(storage ls library: | wc -l | tr -d ' ')
say "done: ingested $objects objects from $folder into library:, archived them in archive:, restored and compared them"
