package e2e

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path"
	"strings"

	"github.com/landerd/landerd/internal/fakekafka"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/lakecheck"
	"github.com/landerd/landerd/test/kit/sinktest"
	"github.com/landerd/landerd/test/system/minidfs"
)

// The tenants of a multi-tenant harness, the header that names them, and
// the directory of records of no known tenant.
var e2eTenants = []string{"pearson", "acme", "globex"}

const (
	tenantHeader = "tenant"
	unassigned   = sink.UnassignedTenant
)

// Shares of the records a tenantMix gives no header, an empty one, and
// the name of a tenant not configured; the rest go to the tenants evenly.
const (
	shareNoHeader    = 0.01
	shareEmptyHeader = 0.005
	shareUnknown     = 0.01
)

// tenantMix chooses each produced record's tenant header: one of
// e2eTenants in turn at random, so that every partition interleaves them,
// and a small share of records whose tenant is missing or unknown.
type tenantMix struct {
	rng *rand.Rand
}

func newTenantMix(seed int64) *tenantMix {
	return &tenantMix{rng: rand.New(rand.NewPCG(uint64(seed), 2))}
}

// configYAML is the daemons' tenancy section; group names each tenant's
// group.
func (m *tenantMix) configYAML(group func(tenant string) string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "tenancy:\n  source: header\n  header: %s\n  tenants:\n", tenantHeader)
	for _, t := range e2eTenants {
		fmt.Fprintf(&b, "    - name: %s\n      group: %s\n", t, group(t))
	}
	return b.String()
}

// tenantGroup is the group the daemons give tenant's data. A local lake
// can only use a group of this machine, and the test user may only give
// its own groups: one such group serves every tenant. On HDFS each tenant
// has its own, "<tenant>-readers"; on Apache HDFS the daemons' user is a
// member of all of them (openRealHDFS).
func (h *harness) tenantGroup(tenant string) string {
	if h.setup.backend.storage() == lakeLocal {
		return sinktest.LocalGroup(h.t)
	}
	return tenant + "-readers"
}

// The HDFS user the checks read the lake as, and on Apache HDFS with
// tenants the firm's analysts' group it belongs to.
const (
	checkerUser   = "checker"
	analystsGroup = "analysts"
)

// tenantUser is a user of tenant's group on Apache HDFS.
func tenantUser(tenant string) string { return tenant + "-analyst" }

// checkTenantAccess checks, on Apache HDFS, what landerd gave each
// tenant's data: its directory and files belong to the tenant's group
// with modes 0750 and 0640, the tenant's user reads them, and the other
// tenants' users can neither list the directory nor read a file. The
// directory is the tenant's folder of attempts in the Hive layout, and
// the tenant's attempts table (its data and metadata) in an Iceberg lake,
// whose files are those of the table's current snapshot.
func (h *harness) checkTenantAccess(ctx context.Context) {
	h.t.Helper()
	var files []sink.DataFile
	var err error
	if h.setup.backend.iceberg() {
		files, err = lakecheck.CatalogFiles(h.lake(), h.iceTables())(ctx, flatten.TableAttempts)
	} else {
		files, err = sink.ListDataFiles(h.lake(), flatten.TableAttempts)
	}
	if err != nil {
		h.t.Fatal(err)
	}
	sample := map[string]string{} // tenant -> one of its files
	for _, f := range files {
		if t, _ := sink.TenantOf(f.Hive); t != "" && sample[t] == "" {
			sample[t] = f.Path
		}
	}
	for _, t := range e2eTenants {
		file := sample[t]
		if file == "" {
			h.t.Errorf("tenant %s: no attempts file to check", t)
			continue
		}
		dir := path.Join(flatten.TableAttempts, sink.TenantPartition(t))
		if h.setup.backend.iceberg() {
			dir = path.Dir(h.iceTables().TenantDataDir(t, flatten.TableAttempts))
		}
		for _, c := range []struct {
			name string
			mode os.FileMode
		}{{dir, 0o750}, {file, 0o640}} {
			st, err := h.dfs.Stat("/lake/" + c.name)
			if err != nil {
				h.t.Fatalf("Apache HDFS: stat %s: %v", c.name, err)
			}
			if st.Group != h.tenantGroup(t) || st.Mode.Perm() != c.mode {
				h.t.Errorf("%s: group %s, mode %o; want %s, %o", c.name, st.Group, st.Mode.Perm(), h.tenantGroup(t), c.mode)
			}
		}
		if _, err := h.dfs.ReadAs(tenantUser(t), "/lake/"+file); err != nil {
			h.t.Errorf("tenant %s cannot read its own %s: %v", t, file, err)
		}
		for _, other := range e2eTenants {
			if other == t {
				continue
			}
			if _, err := h.dfs.ListAs(tenantUser(other), "/lake/"+dir); !isPermissionDenied(err) {
				h.t.Errorf("tenant %s listing %s: got %v, want permission denied", other, dir, err)
			}
			if _, err := h.dfs.ReadAs(tenantUser(other), "/lake/"+file); !isPermissionDenied(err) {
				h.t.Errorf("tenant %s reading %s: got %v, want permission denied", other, file, err)
			}
		}
	}
}

// isPermissionDenied reports whether err is HDFS refusing access.
func isPermissionDenied(err error) bool {
	var ce *minidfs.ClientError
	return errors.As(err, &ce) && strings.Contains(ce.Class, "AccessControlException")
}

// next returns the headers of a record whose value, landed under a known
// tenant, would be quarantined as want ("" for a good attempt), and where
// the record must land: its reason and its tenant directory.
func (m *tenantMix) next(want flatten.Reason) ([]fakekafka.Header, flatten.Reason, string) {
	switch x := m.rng.Float64(); {
	case x < shareNoHeader:
		return []fakekafka.Header{{Key: "trace", Value: []byte("t")}}, flatten.ReasonTenantMissing, unassigned
	case x < shareNoHeader+shareEmptyHeader:
		return []fakekafka.Header{{Key: tenantHeader}}, flatten.ReasonTenantMissing, unassigned
	case x < shareNoHeader+shareEmptyHeader+shareUnknown:
		return []fakekafka.Header{{Key: tenantHeader, Value: []byte("initech")}}, flatten.ReasonTenantUnknown, unassigned
	}
	t := e2eTenants[m.rng.IntN(len(e2eTenants))]
	return []fakekafka.Header{{Key: tenantHeader, Value: []byte(t)}}, want, t
}
