#!/bin/sh
# launcher.sh runs the HDFS test cluster (a MiniDFSCluster with 3 DataNodes
# and permission checking on, on 127.0.0.1) in the foreground, installing it
# first when needed (install.sh). It prints "READY hdfs://127.0.0.1:PORT" on
# stdout once the cluster is up, then obeys one command per line on stdin;
# `launcher.sh --help` lists the options and the commands.
#
# HDFS_LAUNCHER_HEAP sets the JVM's maximum heap (default 512m).
set -eu

dir=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
cp=$(sh "$dir/install.sh" --classpath)
java=${JAVA_HOME:+$JAVA_HOME/bin/}java

# Hadoop 3.4 reaches into JDK internals that Java 17 closes by default.
opens=
for p in java.io java.lang java.lang.reflect java.math java.net java.nio java.text \
	java.util java.util.concurrent java.util.zip sun.nio.ch sun.security.util sun.security.x509; do
	opens="$opens --add-opens=java.base/$p=ALL-UNNAMED"
done

# shellcheck disable=SC2086 # $opens is a list of flags without spaces
exec "$java" -Xmx"${HDFS_LAUNCHER_HEAP:-512m}" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
	-Djava.net.preferIPv4Stack=true \
	-Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
	-Dorg.slf4j.simpleLogger.logFile=System.err \
	$opens -cp "$cp" HdfsLauncher "$@"
