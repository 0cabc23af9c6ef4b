# pyiceberg on landerd's Iceberg tables in the hadoop catalog (a local
# lake): a StaticTable on the metadata file that version-hint.text names.
import os
from pathlib import Path

from pyiceberg.table import StaticTable

lake = os.environ.get("LANDERD_ICEBERG_WAREHOUSE", "/data/lake")
metadata = Path(lake, "landerd", "attempts", "metadata")
version = (metadata / "version-hint.text").read_text().strip()
attempts = StaticTable.from_metadata(str(metadata / f"v{version}.metadata.json"))

table = attempts.scan().to_arrow()
print("attempts:", table.num_rows)
print("distinct keen_id:", len(set(table.column("keen_id").to_pylist())))
for snap in attempts.snapshots():
    rows = attempts.scan(snapshot_id=snap.snapshot_id).to_arrow().num_rows
    print("snapshot", snap.snapshot_id, "rows", rows)
