"""landerd_lake.iceberg takes exactly the namespaces landerd makes
(lake.iceberg.namespace, alone or with '_' and a tenant, which may hold
'-') and quotes them for Spark SQL. No Spark is started: the names are
checked and quoted before any engine sees them."""

from __future__ import annotations

import pytest

from landerd_lake import iceberg as ice

ACCEPTED = [
    "landerd",
    "lake",
    "landerd_pearson",
    "landerd_acme-corp",
    "landerd_0day",
    "landerd__unassigned",
    "a" * 63,
    "landerd_" + "t" * 63,
    "landerd_a-b_c-",
]

REFUSED = [
    "",
    "Landerd",  # landerd's namespaces are lowercase
    "_landerd",
    "1landerd",
    "acme-corp",  # a hyphen only in a tenant's part
    "landerd-acme",
    "landerd_-acme",  # a tenant starts with a letter or digit
    "landerd_Acme",
    "landerd_acme corp",
    "landerd.acme",
    "landerd`x",
    'landerd"x',
    "landerd_" + "t" * 64,  # a tenant's name is at most 63 long
    "a" * 64 + "-x",
]


@pytest.mark.parametrize("namespace", ACCEPTED)
def test_accepts_landerds_namespaces(namespace):
    assert ice.check_namespace(namespace) == namespace
    cat = ice.Catalog("hadoop", "/lake", namespace=namespace)
    assert cat.namespace == namespace


@pytest.mark.parametrize("namespace", REFUSED)
def test_refuses_other_namespaces(namespace):
    with pytest.raises(ValueError, match="not one landerd makes"):
        ice.check_namespace(namespace)
    with pytest.raises(ValueError):
        ice.Catalog("hadoop", "/lake", namespace=namespace)


def test_from_env_takes_a_tenants_namespace():
    cat = ice.Catalog.from_env(
        {
            "LANDERD_ICEBERG_CATALOG_TYPE": "hadoop",
            "LANDERD_ICEBERG_WAREHOUSE": "hdfs://nn:8020/lake",
            "LANDERD_ICEBERG_NAMESPACE": "landerd_acme-corp",
        }
    )
    assert cat.namespace == "landerd_acme-corp"
    assert cat.table_dir("attempts") == "hdfs://nn:8020/lake/landerd_acme-corp/attempts"


@pytest.mark.parametrize(
    ("name", "quoted"),
    [
        ("landerd", "landerd"),
        ("landerd__unassigned", "landerd__unassigned"),
        ("landerd_acme-corp", "`landerd_acme-corp`"),
        ("0day", "`0day`"),
        ("a`b", "`a``b`"),
    ],
)
def test_spark_ident(name, quoted):
    assert ice.spark_ident(name) == quoted


def test_spark_table_quotes_the_namespace_only_when_needed():
    plain = ice.Catalog("hadoop", "/lake", namespace="landerd_pearson")
    dashed = ice.Catalog("hadoop", "/lake", namespace="landerd_acme-corp")
    assert ice.spark_table(plain) == "landerd.landerd_pearson.attempts"
    assert ice.spark_table(dashed, "_quarantine") == "landerd.`landerd_acme-corp`._quarantine"


def test_spark_views_take_the_quoted_namespace():
    """sql/spark/00_views_iceberg.sql, as spark_answers fills it in, names
    a tenant's table with its namespace in backticks."""
    stmts = ice.statements(
        ice.SQL_DIR / "spark" / "00_views_iceberg.sql",
        catalog="landerd",
        namespace=ice.spark_ident("landerd_acme-corp"),
    )
    assert "FROM landerd.`landerd_acme-corp`.attempts" in stmts[0]
