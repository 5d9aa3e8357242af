#!/usr/bin/env bash
# Back up the service's database and uploads into BACKUP_DIR (default /var/backups/bptt-grader),
# safely while it runs: SQLite's online backup, then the uploads (content-addressed, never
# rewritten, so copying them after the database covers every row in the copy).
set -euo pipefail
DATA="${GRADER_DATA_DIR:-/var/lib/bptt-grader/data}"
DEST="${BACKUP_DIR:-/var/backups/bptt-grader}/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$DEST"
if [ -f "$DATA/grader.db" ]; then
  python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).backup(sqlite3.connect(sys.argv[2]))' \
    "$DATA/grader.db" "$DEST/grader.db"
fi
# With PostgreSQL (GRADER_DATABASE_URL) back up the database with pg_dump instead.
cp -a "$DATA/uploads" "$DEST/uploads"
echo "backed up to $DEST"
