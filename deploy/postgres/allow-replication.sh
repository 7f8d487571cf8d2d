#!/bin/sh
# Run once by the postgres image when it initializes the primary: lets standbys stream its
# log (pg_basebackup and replication connections) as a user with a password.
set -e
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
