# pyiceberg (and pandas through it) on landerd's Iceberg tables in a SQL
# catalog on PostgreSQL. Set the URL to your lake.iceberg.catalog.uri with
# its password, as SQLAlchemy takes it, and the namespace:
# lake.iceberg.namespace, or a tenant's, <namespace>_<tenant>.
import os

from pyiceberg.catalog.sql import SqlCatalog

db = os.environ.get(
    "LANDERD_ICEBERG_SQLALCHEMY_URI", "postgresql+psycopg2://reader:secret@db.example:5432/lake"
)
namespace = os.environ.get("LANDERD_ICEBERG_NAMESPACE", "landerd")
# The catalog's name must be landerd: the SQL catalog stores it in every row.
catalog = SqlCatalog("landerd", uri=db)
# A tuple: the namespace as it is, '-' and all (landerd_acme-corp).
attempts = catalog.load_table((namespace, "attempts"))

df = attempts.scan().to_pandas()
print("attempts:", len(df))
first = df.sort_values(["kafka_partition", "kafka_offset", "kafka_topic"])
print("distinct keen_id:", len(first.drop_duplicates("keen_id")))
print("mean score:", df["score"].mean())

# Every snapshot (one per flush) and its row count, by time travel.
for snap in attempts.snapshots():
    rows = attempts.scan(snapshot_id=snap.snapshot_id).to_arrow().num_rows
    print("snapshot", snap.snapshot_id, "rows", rows)
print("metadata file:", attempts.metadata_location)
