package e2e

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/landerd/landerd/internal/broker"
	"github.com/landerd/landerd/pkg/flatten"
)

// The tenants of a multi-tenant harness, the header that names them, and
// the directory of records of no known tenant.
var e2eTenants = []string{"pearson", "acme", "globex"}

const (
	tenantHeader = "tenant"
	unassigned   = "_unassigned"
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

// configYAML is the daemons' tenancy section.
func (m *tenantMix) configYAML() string {
	var b strings.Builder
	fmt.Fprintf(&b, "tenancy:\n  source: header\n  header: %s\n  tenants:\n", tenantHeader)
	for _, t := range e2eTenants {
		fmt.Fprintf(&b, "    - name: %s\n      group: %s-readers\n", t, t)
	}
	return b.String()
}

// next returns the headers of a record whose value, landed under a known
// tenant, would be quarantined as want ("" for a good attempt), and where
// the record must land: its reason and its tenant directory.
func (m *tenantMix) next(want flatten.Reason) ([]broker.Header, flatten.Reason, string) {
	switch x := m.rng.Float64(); {
	case x < shareNoHeader:
		return []broker.Header{{Key: "trace", Value: []byte("t")}}, flatten.ReasonTenantMissing, unassigned
	case x < shareNoHeader+shareEmptyHeader:
		return []broker.Header{{Key: tenantHeader}}, flatten.ReasonTenantMissing, unassigned
	case x < shareNoHeader+shareEmptyHeader+shareUnknown:
		return []broker.Header{{Key: tenantHeader, Value: []byte("initech")}}, flatten.ReasonTenantUnknown, unassigned
	}
	t := e2eTenants[m.rng.IntN(len(e2eTenants))]
	return []broker.Header{{Key: tenantHeader, Value: []byte(t)}}, want, t
}

// tenantOfHive returns the tenant directory of a file's Hive partition
// ("tenant=T/ingest_date=D"), or "" when it has none.
func tenantOfHive(hive string) string {
	rest, ok := strings.CutPrefix(hive, "tenant=")
	if !ok {
		return ""
	}
	t, _, _ := strings.Cut(rest, "/")
	return t
}
