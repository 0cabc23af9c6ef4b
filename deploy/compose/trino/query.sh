#!/bin/bash
# Registers the landerd lake with Trino (sql/trino/00_tables.sql; running it
# again syncs new ingest_date partitions) and runs the business questions.
# Run it once landerd has published its first files (lake.roll.max_file_age
# after publishing); the tables' folders must exist.
# Arguments name question files under /sql; without any, all of them run.
#
#   docker compose run --rm query
#   docker compose run --rm query 05_average_score.sql
set -euo pipefail

server=${TRINO_SERVER:-http://trino:8080}
lake=${LAKE_URL:-hdfs://namenode:8020/data/lake}

setup=$(mktemp)
sed "s|\${lake}|${lake}|g" /sql/00_tables.sql >"$setup"
trino --server "$server" --catalog hive --file "$setup"

if [ "$#" -eq 0 ]; then
	set -- $(cd /sql && ls 0[1-9]*.sql)
fi
for q in "$@"; do
	echo "== $q"
	trino --server "$server" --catalog hive --schema landerd --output-format ALIGNED --file "/sql/$q"
done
