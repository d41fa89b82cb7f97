#!/usr/bin/env bash
# Regenerate migrations/versions/0001_initial.py from the models.
# Only while the project has never been deployed: after the first release add new revisions
# with `flask --app wsgi db migrate -m "..."` instead.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
# later hand-written revisions (database-specific, not from the models) wait aside meanwhile
mkdir -p "$tmp/later"
# put them back whatever happens (a failed autogenerate must not lose them)
trap 'mv "$tmp"/later/*.py migrations/versions/ 2>/dev/null; rm -rf "$tmp"' EXIT
for f in migrations/versions/0*.py; do [ "$f" = migrations/versions/0001_initial.py ] || mv "$f" "$tmp/later/"; done
rm -f migrations/versions/0001_initial.py
DATABASE_URL="sqlite:///$tmp/regen.db" flask --app wsgi db migrate -m "initial schema" >/dev/null 2>&1
f=$(ls migrations/versions/*_initial_schema.py)
sed -i "s/^revision = .*/revision = '0001_initial'/" "$f"
mv "$f" migrations/versions/0001_initial.py
echo "migrations/versions/0001_initial.py regenerated"
