# DuckDB on a landerd Iceberg table with no network: the iceberg and avro
# extensions come from their pip wheels (duckdb-extension-iceberg and
# duckdb-extension-avro, of DuckDB's version) and are loaded from there;
# DuckDB is told never to install or load an extension by itself. Set the
# metadata file: pyiceberg's Table.metadata_location on a SQL catalog, or
# <lake>/landerd/attempts/metadata/v<N>.metadata.json (N in version-hint.text)
# on the hadoop catalog.
import os
from importlib import resources

import duckdb

metadata = os.environ.get(
    "LANDERD_ATTEMPTS_METADATA", "/data/lake/landerd/attempts/metadata/v9.metadata.json"
)

con = duckdb.connect(
    config={"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}
)
for name in ("avro", "iceberg"):  # avro first: iceberg looks for it when loaded
    wheel = resources.files(f"duckdb_extension_{name}")
    con.execute(f"LOAD '{wheel}/extensions/v{duckdb.__version__}/{name}.duckdb_extension'")

n, keen = con.execute(
    "SELECT count(*), count(DISTINCT keen_id) FROM iceberg_scan(?)", [metadata]
).fetchone()
print("attempts:", n)
print("distinct keen_id:", keen)
for (sid,) in con.execute(
    "SELECT snapshot_id FROM iceberg_snapshots(?) ORDER BY sequence_number", [metadata]
).fetchall():
    rows = con.execute(
        "SELECT count(*) FROM iceberg_scan(?, snapshot_from_id = ?)", [metadata, sid]
    ).fetchone()[0]
    print("snapshot", sid, "rows", rows)
