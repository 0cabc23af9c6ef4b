package iceberg

import (
	"testing"
	"time"

	"github.com/landerd/landerd/test/kit/realdata"
	"github.com/landerd/landerd/test/system/minidfs"
)

// TestRealDataHadoopCatalogOnHDFS lands the real data set on Apache HDFS
// (a MiniDFSCluster, landed as its superuser as test/icehdfs lands) into
// tables of the hadoop catalog, in two steps, and has Spark's
// HadoopCatalog read them with an hdfs:// warehouse: the seven answers of
// `landerd report --json` and each step's rows at its snapshot; then
// docs/iceberg/spark_hdfs.py runs on the same tables. pyiceberg and DuckDB
// are not asked: on HDFS they need libhdfs, which is not installed here
// (docs/iceberg.md, "HDFS"). test/system/trino's TestIcebergOnHDFS does
// the sql catalog on HDFS, with Trino.
func TestRealDataHadoopCatalogOnHDFS(t *testing.T) {
	realdata.Path(t, realdata.ArrayFile) // skip before starting anything
	begin := time.Now()
	c := minidfs.Start(t, minidfs.Config{})
	l := Land(t, LandOptions{HDFS: c, First: realDataFirst})
	t.Logf("landed in %s at %s; snapshots after each step %v", time.Since(begin).Round(100*time.Millisecond), l.Lake, l.Snapshots)
	checkReaders(t, l, l.ReaderEnv(nil), EngineSpark)
	CheckSnippet(t, "spark_hdfs.py", RunSnippet(t, l.ReaderEnv(nil), "spark_hdfs.py"), l)
	t.Logf("test took %s", time.Since(begin).Round(100*time.Millisecond))
}
