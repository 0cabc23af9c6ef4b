"""A small local Spark session for reading the lake."""

from __future__ import annotations

import os
import sys
from importlib import resources

from pyspark.sql import SparkSession

#: The settings every session of this package uses: two local cores, no web
#: UI, a small driver, timestamps shown in UTC (the lake's instants are UTC).
DEFAULTS = {
    "spark.master": "local[2]",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.memory": "1g",
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
}


def session(app: str = "landerd-lake", **conf: str) -> SparkSession:
    """Return the process's Spark session, starting it with DEFAULTS (and
    conf, which overrides them) when none runs yet. The JVM logs errors only.

    Raises RuntimeError naming Spark and Java when the JVM cannot start."""
    # Spark's launcher puts SPARK_CONF_DIR on the JVM's class path, where
    # log4j2 finds conf/log4j2.properties.
    os.environ.setdefault("SPARK_CONF_DIR", str(resources.files("landerd_lake").joinpath("conf")))
    opts = "-Duser.timezone=UTC"
    builder = SparkSession.builder.appName(app)
    settings = {**DEFAULTS, "spark.driver.extraJavaOptions": opts, **conf}
    for key, value in settings.items():
        builder = builder.config(key, value)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    try:
        spark = builder.getOrCreate()
    except Exception as err:  # py4j and pyspark raise several kinds here
        java = os.environ.get("JAVA_HOME") or "java on PATH"
        raise RuntimeError(f"start Spark (local, JVM from {java}): {err}") from err
    spark.sparkContext.setLogLevel("ERROR")
    return spark
