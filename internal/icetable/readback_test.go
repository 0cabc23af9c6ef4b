package icetable

import (
	"context"
	"sync"
	"testing"

	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zaptest"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/metrics"
)

// phantom is a catalog whose first commits to attempts answer success
// and commit nothing, as the hadoop catalog answers a committer whose
// stale claim another committer took and published (docs/exactly-once.md).
type phantom struct {
	catalog.Catalog
	mu   sync.Mutex
	left int
}

func (p *phantom) LoadTable(ctx context.Context, ident table.Identifier) (*table.Table, error) {
	tbl, err := p.Catalog.LoadTable(ctx, ident)
	if err != nil {
		return nil, err
	}
	return table.New(tbl.Identifier(), tbl.Metadata(), tbl.MetadataLocation(), tbl.FS, p), nil
}

func (p *phantom) CommitTable(ctx context.Context, ident table.Identifier, reqs []table.Requirement, updates []table.Update) (table.Metadata, string, error) {
	p.mu.Lock()
	lie := p.left > 0 && ident[len(ident)-1] == flatten.TableAttempts
	if lie {
		p.left--
	}
	p.mu.Unlock()
	if !lie {
		return p.Catalog.CommitTable(ctx, ident, reqs, updates)
	}
	tbl, err := p.Catalog.LoadTable(ctx, ident)
	if err != nil {
		return nil, "", err
	}
	return tbl.Metadata(), tbl.MetadataLocation(), nil
}

// TestReadBack: a commit answered success that the table does not hold is
// retried when Config.ReadBack is set, and lost without it.
func TestReadBack(t *testing.T) {
	for _, readBack := range []bool{true, false} {
		ctx := context.Background()
		l := newLake(t)
		conf := Config{Location: l.loc, Compression: "zstd", ReadBack: readBack, Open: func(ctx context.Context) (catalog.Catalog, func() error, error) {
			cat, closeCat, err := openCatalog(ctx, config.IcebergCatalog{Type: config.CatalogHadoop}, l.loc, false)
			if err != nil {
				return nil, nil, err
			}
			return &phantom{Catalog: cat, left: 2}, closeCat, nil
		}}
		reg := prometheus.NewRegistry()
		tb := New(conf, zaptest.NewLogger(t), metrics.NewIceberg(reg, TableNames()))
		t.Cleanup(func() { _ = tb.Close() })
		st := l.publish(ctx, 0, 0, 59)
		if err := tb.Commit(ctx, st); err != nil {
			t.Fatal(err)
		}
		got := l.offsets(ctx, tb, flatten.TableAttempts)
		if !readBack {
			if len(got) != 0 {
				t.Fatalf("without read back, attempts holds %d offsets; the phantom commit was expected to lose the flush", len(got))
			}
			continue
		}
		wantOnce(t, got, flatten.TableAttempts, map[int32][2]int64{0: {0, 59}})
		wantOnce(t, l.offsets(ctx, tb, flatten.TableQuarantine), flatten.TableQuarantine, map[int32][2]int64{0: {0, 59}})
	}
}
