package catalogtest

import (
	"context"
	"sync"

	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
)

// Hooked is a catalog.Catalog that delegates to another and calls its
// hooks. Tables it loads commit through it too.
type Hooked struct {
	catalog.Catalog

	mu sync.Mutex
	// afterLoad, when set, runs after each LoadTable that succeeded.
	afterLoad func(ident table.Identifier) error
	// beforeCommit, when set, runs before each CommitTable is passed on;
	// an error it returns is CommitTable's, and the commit is not passed on.
	beforeCommit func(ident table.Identifier) error
	// afterCommit, when set, runs after each CommitTable the wrapped
	// catalog accepted; an error it returns replaces the commit's answer.
	afterCommit func(ident table.Identifier) error
	commits     int
}

// New wraps cat.
func New(cat catalog.Catalog) *Hooked { return &Hooked{Catalog: cat} }

// AfterLoad sets the function run after each successful LoadTable (nil:
// none); an error it returns is LoadTable's.
func (h *Hooked) AfterLoad(f func(ident table.Identifier) error) {
	h.mu.Lock()
	h.afterLoad = f
	h.mu.Unlock()
}

// AfterCommit sets the function run after each CommitTable the wrapped
// catalog accepted (nil: none); an error it returns is CommitTable's
// answer, although the commit happened.
func (h *Hooked) AfterCommit(f func(ident table.Identifier) error) {
	h.mu.Lock()
	h.afterCommit = f
	h.mu.Unlock()
}

// BeforeCommit sets the function run before each CommitTable is passed
// to the wrapped catalog (nil: none), to let another writer commit first;
// an error it returns is CommitTable's answer, and the commit is not
// passed on (table.ErrCommitFailed: the catalog's compare-and-swap lost).
func (h *Hooked) BeforeCommit(f func(ident table.Identifier) error) {
	h.mu.Lock()
	h.beforeCommit = f
	h.mu.Unlock()
}

// Commits counts the commits the wrapped catalog accepted.
func (h *Hooked) Commits() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.commits
}

// LoadTable implements catalog.Catalog: the table commits through h.
func (h *Hooked) LoadTable(ctx context.Context, ident table.Identifier) (*table.Table, error) {
	tbl, err := h.Catalog.LoadTable(ctx, ident)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	f := h.afterLoad
	h.mu.Unlock()
	if f != nil {
		if err := f(ident); err != nil {
			return nil, err
		}
	}
	return table.New(tbl.Identifier(), tbl.Metadata(), tbl.MetadataLocation(), tbl.FS, h), nil
}

// CommitTable implements catalog.Catalog.
func (h *Hooked) CommitTable(ctx context.Context, ident table.Identifier, reqs []table.Requirement, updates []table.Update) (table.Metadata, string, error) {
	h.mu.Lock()
	before := h.beforeCommit
	h.mu.Unlock()
	if before != nil {
		if err := before(ident); err != nil {
			return nil, "", err
		}
	}
	meta, loc, err := h.Catalog.CommitTable(ctx, ident, reqs, updates)
	if err != nil {
		return meta, loc, err
	}
	h.mu.Lock()
	h.commits++
	f := h.afterCommit
	h.mu.Unlock()
	if f != nil {
		if err := f(ident); err != nil {
			return nil, "", err
		}
	}
	return meta, loc, nil
}
