"""landerd_lake.tenantread: counts per tenant, and the reason of a refused read.

HDFS's refusals themselves are checked by test/isolation on a real
cluster with permission checking on; here Spark reads a local lake."""

from __future__ import annotations

from landerd_lake.tenantread import java_error, read


def test_java_error_prefers_the_access_control_exception():
    text = (
        "An error occurred while calling o42.parquet.\n"
        ": org.apache.hadoop.ipc.RemoteException(java.io.IOException): wrapped\n"
        "Caused by: org.apache.hadoop.security.AccessControlException: Permission denied: "
        "user=alice, access=READ_EXECUTE, "
        'inode="/lake/attempts/tenant=b":landerd:b-readers:drwxr-x---\n'
        "\tat org.apache.hadoop.hdfs.server.namenode.FSPermissionChecker.check(...)\n"
    )
    cls, msg = java_error(text)
    assert cls == "org.apache.hadoop.security.AccessControlException"
    assert msg.startswith("Permission denied: user=alice, access=READ_EXECUTE")


def test_java_error_without_a_java_exception():
    assert java_error("[PATH_NOT_FOUND] Path does not exist: file:/x\nmore") == (
        "",
        "[PATH_NOT_FOUND] Path does not exist: file:/x",
    )
    assert java_error("java.io.FileNotFoundException: /x") == (
        "java.io.FileNotFoundException",
        "/x",
    )


def test_read_counts_rows_per_tenant(spark, tmp_path):
    rows = [(o, t, "2026-11-24") for t, n in (("a", 5), ("b", 3), ("c", 1)) for o in range(n)]
    df = spark.createDataFrame(rows, "kafka_offset long, tenant string, ingest_date string")
    attempts = str(tmp_path / "attempts")
    df.write.partitionBy("tenant", "ingest_date").parquet(attempts)

    assert read(spark, attempts) == {
        "url": attempts,
        "rows": 9,
        "tenants": {"a": 5, "b": 3, "c": 1},
    }
    one = f"{attempts}/tenant=b"
    assert read(spark, one) == {"url": one, "rows": 3}
    missing = read(spark, str(tmp_path / "missing"))
    assert "rows" not in missing and missing["error"], missing
