#!/usr/bin/env bash
# Nightly backup of the whole database: the public schema, the template and every
# workspace schema, in pg_dump's custom format, keeping RETENTION_DAYS days.
#   DATABASE_URL=postgres://... BACKUP_DIR=/var/backups/crm RETENTION_DAYS=14 deploy/backup.sh
# Restore into an empty database:
#   createdb crm_restored && pg_restore --no-owner -d crm_restored /var/backups/crm/crm-<stamp>.dump
set -euo pipefail
: "${DATABASE_URL:?set DATABASE_URL}"
BACKUP_DIR=${BACKUP_DIR:-/var/backups/crm}
RETENTION_DAYS=${RETENTION_DAYS:-14}
mkdir -p "$BACKUP_DIR"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
target="$BACKUP_DIR/crm-$stamp.dump"
pg_dump --format=custom --compress=6 --file="$target.partial" "$DATABASE_URL"
mv "$target.partial" "$target"   # only complete dumps carry the final name
pg_restore --list "$target" > /dev/null   # a dump that cannot be listed is not a backup
find "$BACKUP_DIR" -name 'crm-*.dump' -mtime +"$RETENTION_DAYS" -delete
echo "backup written: $target"
