package icetable

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/table"
	"go.uber.org/zap"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/pkg/flatten"
	"github.com/landerd/landerd/pkg/metrics"
	"github.com/landerd/landerd/pkg/sink"
)

// Config says where the tables live and how to reach their catalog.
type Config struct {
	// Location is the lake root and the tables' namespace.
	Location Location
	// Compression is the Parquet codec landerd writes, recorded in the
	// tables' write.parquet.compression-codec.
	Compression string
	// PartitionBy is lake.partition_by: how each table is partitioned
	// (PartitioningOf). "" is ingest_date.
	PartitionBy config.PartitionBy
	// Tenants are the configured tenants' names, with tenancy; nil
	// without. Check checks their tables.
	Tenants []string
	// Open connects to the catalog. Tables calls it on first use and again
	// after it failed, never while it holds a catalog; the func it returns
	// closes what it opened.
	Open func(ctx context.Context) (catalog.Catalog, func() error, error)
	// ReadBack has every successful commit checked by reading the table
	// back: its current offsets must hold the flush, or the commit counts
	// as a conflict and is retried. ConfigOf sets it for the hadoop
	// catalog, whose claim of a version another committer may clear after
	// a minute (see docs/exactly-once.md).
	ReadBack bool
}

// ConfigOf returns the Config of cfg's lake (lake.format iceberg).
// readOnly opens the catalog without creating its own tables, for
// readers.
func ConfigOf(cfg config.Config, readOnly bool) (Config, error) {
	loc, err := LocationOf(cfg)
	if err != nil {
		return Config{}, err
	}
	cc := cfg.Lake.Iceberg.Catalog
	return Config{
		Location:    loc,
		Compression: string(cfg.Lake.Compression),
		PartitionBy: cfg.Lake.PartitionBy,
		Tenants:     tenantNames(cfg.Tenancy),
		Open: func(ctx context.Context) (catalog.Catalog, func() error, error) {
			return openCatalog(ctx, cc, loc, readOnly)
		},
		ReadBack: cc.Type == config.CatalogHadoop,
	}, nil
}

// tenantNames lists the names of t's tenants; nil without tenancy.
func tenantNames(t config.Tenancy) []string {
	if !t.Enabled() {
		return nil
	}
	names := make([]string, len(t.Tenants))
	for i, tn := range t.Tenants {
		names[i] = tn.Name
	}
	return names
}

// Retry limits of one table's commit of one flush. Past them the commit
// fails: the partition stops and its next claim rolls the flush forward.
const (
	// maxConflicts is how many times a commit that found the table changed
	// under it is retried on the new base.
	maxConflicts = 32
	// maxFailures is how many other failures in a row (the catalog
	// unreachable, a connection lost mid-commit) are retried, each after
	// reading the table back.
	maxFailures = 4
	// retryMin and retryMax bound the delay between attempts; each delay
	// is drawn between half and all of the current bound.
	retryMin = 25 * time.Millisecond
	retryMax = 2 * time.Second
)

// Tables is a lake's three Iceberg tables, created on first use. Its
// methods are safe for concurrent use: every partition's owner commits
// through the same Tables.
type Tables struct {
	conf    Config
	log     *zap.Logger
	metrics *metrics.Iceberg

	mu    sync.Mutex
	cat   catalog.Catalog // nil until opened
	close func() error
	ready map[string]bool // tenants ("" without tenancy) whose namespace and tables exist and are landerd's
}

// New returns the tables of conf. It connects to nothing: the catalog is
// opened, and the tables created, by the first call that needs them.
func New(conf Config, log *zap.Logger, m *metrics.Iceberg) *Tables {
	return &Tables{conf: conf, log: log.With(zap.String("component", "iceberg")), metrics: m}
}

// TableNames lists the tables, in the order a flush commits them.
func TableNames() []string {
	names := make([]string, 0, 3)
	for _, t := range flatten.Tables() {
		names = append(names, t.Name)
	}
	return names
}

// DataDir is the folder, relative to the lake root, of a data file of
// table in Hive partition hive: the partition's folder in the table's data
// folder, in the tables of the tenant whose level hive starts with, if
// any (sink.TenantHive).
func (t *Tables) DataDir(table, hive string) string {
	tenant, rest := splitTenant(hive)
	return path.Join(t.TenantDataDir(tenant, table), rest)
}

// TenantDataDir is the data folder of tenant's table ("" without
// tenancy), relative to the lake root: the partition folders are in it.
func (t *Tables) TenantDataDir(tenant, table string) string {
	return DataDir(t.folder(tenant), table)
}

// splitTenant splits a Hive partition into its tenant, "" when it has no
// tenant level, and the rest.
func splitTenant(hive string) (tenant, rest string) {
	tenant, ok := sink.TenantOf(hive)
	if !ok {
		return "", hive
	}
	_, rest, _ = strings.Cut(hive, "/")
	return tenant, rest
}

// folder is the folder of tenant's tables relative to the lake root: the
// namespace's, or with tenancy the tenant's directory in it,
// <namespace>/tenant=<T>, which pkg/sink's access rules give the tenant's
// group (sink.WithAccess).
func (t *Tables) folder(tenant string) string {
	if tenant == "" {
		return t.conf.Location.Namespace
	}
	return path.Join(t.conf.Location.Namespace, sink.TenantPartition(tenant))
}

// Namespace is the catalog namespace of tenant's tables: namespace itself
// without tenancy (tenant ""), <namespace>_<tenant> with it, so that every
// tenant's tables, metadata and manifests are its own.
func Namespace(namespace, tenant string) string {
	if tenant == "" {
		return namespace
	}
	return namespace + "_" + tenant
}

// FileSchema is the Arrow schema of table's files: the table's columns
// with their Iceberg field ids.
func (t *Tables) FileSchema(table string) (*arrow.Schema, error) {
	for _, ft := range flatten.Tables() {
		if ft.Name == table {
			return FileSchema(ft)
		}
	}
	return nil, fmt.Errorf("file schema: %q is not one of landerd's tables", table)
}

// Close closes the catalog's connections.
func (t *Tables) Close() error {
	t.mu.Lock()
	closeCat := t.close
	t.cat, t.close, t.ready = nil, nil, nil
	t.mu.Unlock()
	if closeCat == nil {
		return nil
	}
	return closeCat()
}

// catalog returns the open catalog, opening it if need be. Two callers
// may open it at once; the second to finish closes its own.
func (t *Tables) catalog(ctx context.Context) (catalog.Catalog, error) {
	t.mu.Lock()
	cat := t.cat
	t.mu.Unlock()
	if cat != nil {
		return cat, nil
	}
	cat, closeCat, err := t.conf.Open(ctx)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cat != nil {
		_ = closeCat() // another caller opened it first
		return t.cat, nil
	}
	t.cat, t.close = cat, closeCat
	return cat, nil
}

// ident names table name of a lake without tenancy.
func (t *Tables) ident(name string) table.Identifier { return t.identOf("", name) }

// NamespaceOf is the catalog namespace of tenant's tables ("" without
// tenancy); see Namespace.
func (t *Tables) NamespaceOf(tenant string) string {
	return Namespace(t.conf.Location.Namespace, tenant)
}

// identOf names tenant's table name ("" without tenancy).
func (t *Tables) identOf(tenant, name string) table.Identifier {
	return table.Identifier{Namespace(t.conf.Location.Namespace, tenant), name}
}

// properties are the table properties of a new table with schema sc.
func (t *Tables) properties(sc *iceberg.Schema) (iceberg.Properties, error) {
	mapping, err := json.Marshal(sc.NameMapping())
	if err != nil {
		return nil, err
	}
	codec := t.conf.Compression
	if codec == "none" || codec == "" {
		codec = "uncompressed"
	}
	return iceberg.Properties{
		table.PropertyFormatVersion: "2",
		table.WriteFormatDefaultKey: "parquet",
		table.ParquetCompressionKey: codec,
		// Readers resolve columns by the files' field ids; the mapping is
		// for files written without them.
		table.DefaultNameMappingKey: string(mapping),
		// Every flush adds a metadata file: keep the last hundred.
		table.MetadataDeleteAfterCommitEnabledKey: "true",
		table.MetadataPreviousVersionsMaxKey:      "100",
	}, nil
}

// Prepare makes the tables of a lake without tenancy ready (see
// PrepareTenant).
func (t *Tables) Prepare(ctx context.Context) error { return t.PrepareTenant(ctx, "") }

// PrepareTenant makes tenant's tables ready ("" without tenancy): it opens
// the catalog, creates the namespace and the three tables (for
// sink.UnassignedTenant only _quarantine) when they do not exist yet (a
// replica that loses the race to create one loads it), and checks that
// each has landerd's schema, partition spec and location. Once it
// succeeds for a tenant it does nothing for it.
func (t *Tables) PrepareTenant(ctx context.Context, tenant string) error {
	t.mu.Lock()
	ready := t.ready[tenant]
	t.mu.Unlock()
	if ready {
		return nil
	}
	cat, err := t.catalog(ctx)
	if err != nil {
		return fmt.Errorf("prepare iceberg tables: %w", err)
	}
	if tenant != "" && cat.CatalogType() == catalog.Hadoop {
		return fmt.Errorf("prepare iceberg tables of tenant %s: %w: the hadoop catalog places a namespace's tables itself; tenants need the sql catalog", tenant, ErrForeignTable)
	}
	ns := table.Identifier{Namespace(t.conf.Location.Namespace, tenant)}
	err = cat.CreateNamespace(ctx, ns, nil) // the hadoop catalog takes no properties
	if err != nil && !errors.Is(err, catalog.ErrNamespaceAlreadyExists) {
		return fmt.Errorf("prepare iceberg tables: create namespace %s: %w", ns, err)
	}
	for _, ft := range flatten.Tables() {
		if tenant == sink.UnassignedTenant && ft.Name != flatten.TableQuarantine {
			continue // records of no known tenant are quarantined, never landed
		}
		if _, err := t.ensure(ctx, cat, tenant, ft); err != nil {
			return fmt.Errorf("prepare iceberg tables: %w", err)
		}
	}
	t.mu.Lock()
	if t.cat == cat {
		if t.ready == nil {
			t.ready = map[string]bool{}
		}
		t.ready[tenant] = true
	}
	t.mu.Unlock()
	return nil
}

// ensure loads tenant's table ft, creating it if it does not exist, and
// checks it.
func (t *Tables) ensure(ctx context.Context, cat catalog.Catalog, tenant string, ft *flatten.Table) (*table.Table, error) {
	ident := t.identOf(tenant, ft.Name)
	dir := Dir(t.folder(tenant), ft.Name)
	sc, err := Schema(ft)
	if err != nil {
		return nil, err
	}
	spec, err := Spec(sc, t.partitioning(ft.Name))
	if err != nil {
		return nil, err
	}
	tbl, err := cat.LoadTable(ctx, ident)
	if errors.Is(err, catalog.ErrNoSuchTable) {
		props, perr := t.properties(sc)
		if perr != nil {
			return nil, perr
		}
		opts := []catalog.CreateTableOpt{catalog.WithPartitionSpec(&spec), catalog.WithProperties(props)}
		if cat.CatalogType() != catalog.Hadoop { // which places it there itself
			opts = append(opts, catalog.WithLocation(t.conf.Location.URI()+"/"+dir))
		}
		tbl, err = cat.CreateTable(ctx, ident, sc, opts...)
		if errors.Is(err, catalog.ErrTableAlreadyExists) {
			tbl, err = loadCreated(ctx, cat, ident) // another replica created it first
		} else if err == nil {
			t.log.Info("iceberg table created", zap.Strings("table", ident), zap.String("location", tbl.Location()))
		}
	}
	if err != nil {
		return nil, fmt.Errorf("load table %s: %w", ident, err)
	}
	if err := t.verify(tbl, tenant, ft.Name, sc, spec); err != nil {
		return nil, err
	}
	return tbl, nil
}

// Bounds of loadCreated's wait for a table another replica is creating.
const (
	createdTries = 50
	createdDelay = 20 * time.Millisecond
)

// loadCreated loads table ident, which another replica is creating: the
// hadoop catalog refuses a second create once the first one's metadata
// file is in place but names it in version-hint.text only after that, so
// for a moment the table neither can be created nor loaded. It retries
// while the table does not exist yet, up to createdTries times.
func loadCreated(ctx context.Context, cat catalog.Catalog, ident table.Identifier) (*table.Table, error) {
	for i := 1; ; i++ {
		tbl, err := cat.LoadTable(ctx, ident)
		if !errors.Is(err, catalog.ErrNoSuchTable) || i == createdTries || !sleep(ctx, createdDelay) {
			return tbl, err
		}
	}
}

// verify checks that tenant's table name, tbl, is the one landerd lands:
// its location, and check's schema, spec and format version.
func (t *Tables) verify(tbl *table.Table, tenant, name string, sc *iceberg.Schema, spec iceberg.PartitionSpec) error {
	label := strings.Join(t.identOf(tenant, name), ".")
	if want := "/" + Dir(t.folder(tenant), name); !strings.HasSuffix(tbl.Location(), want) || !strings.Contains(tbl.Location(), t.conf.Location.Root) {
		return fmt.Errorf("table %s: %w: location %s, want %s%s", label, ErrForeignTable, tbl.Location(), t.conf.Location.URI(), want)
	}
	if err := check(tbl, sc, spec); err != nil {
		return fmt.Errorf("table %s: %w", label, err)
	}
	return nil
}

// Check checks the tables that exist already, creating nothing: those of
// the lake without tenancy, or with it those of every configured tenant
// (Config.Tenants) and of sink.UnassignedTenant. Each must be the table
// landerd lands, with the partition spec lake.partition_by asks for, or
// Check names it in an error matching ErrForeignTable; it reports every
// such table at once. Any other error (a catalog it cannot reach) says
// nothing about the tables: their first use checks them again.
func (t *Tables) Check(ctx context.Context) error {
	cat, err := t.catalog(ctx)
	if err != nil {
		return fmt.Errorf("check iceberg tables: %w", err)
	}
	tenants := []string{""}
	if len(t.conf.Tenants) > 0 {
		tenants = append(slices.Clone(t.conf.Tenants), sink.UnassignedTenant)
	}
	var foreign []error
	for _, tenant := range tenants {
		for _, ft := range flatten.Tables() {
			if tenant == sink.UnassignedTenant && ft.Name != flatten.TableQuarantine {
				continue
			}
			tbl, err := cat.LoadTable(ctx, t.identOf(tenant, ft.Name))
			if errors.Is(err, catalog.ErrNoSuchTable) || errors.Is(err, catalog.ErrNoSuchNamespace) {
				continue // created, and checked, on first use
			}
			if err != nil {
				return fmt.Errorf("check iceberg table %s: %w", strings.Join(t.identOf(tenant, ft.Name), "."), err)
			}
			sc, err := Schema(ft)
			if err != nil {
				return err
			}
			spec, err := Spec(sc, t.partitioning(ft.Name))
			if err != nil {
				return err
			}
			if err := t.verify(tbl, tenant, ft.Name, sc, spec); err != nil {
				foreign = append(foreign, err)
			}
		}
	}
	return errors.Join(foreign...)
}

// partitioning is how table name is partitioned.
func (t *Tables) partitioning(name string) Partitioning {
	return PartitioningOf(name, t.conf.PartitionBy)
}

// ErrForeignTable means that a table of the namespace is not the one
// landerd lands: another schema, partition spec or format version.
var ErrForeignTable = errors.New("not landerd's table")

// check verifies that tbl has the schema, spec and format version landerd
// writes its files for.
func check(tbl *table.Table, sc *iceberg.Schema, spec iceberg.PartitionSpec) error {
	switch {
	case tbl.Metadata().Version() != 2:
		return fmt.Errorf("%w: format version %d, want 2", ErrForeignTable, tbl.Metadata().Version())
	case !tbl.Schema().Equals(sc):
		return fmt.Errorf("%w: its schema differs from docs/schema.md's (schema evolution is not supported yet):\n%s", ErrForeignTable, tbl.Schema())
	case !tbl.Spec().Equals(spec):
		return fmt.Errorf("%w: its partition spec is %s, the configuration (lake.partition_by) asks for %s; "+
			"landerd does not evolve a table's partition spec: go back to the table's lake.partition_by, or land into another lake.iceberg.namespace",
			ErrForeignTable, specString(tbl.Spec(), tbl.Schema()), specString(spec, sc))
	}
	return nil
}

// Commit adds the files of the flush st records (its last published
// flush) to the tables, as one append per table that got files (per
// tenant's table, with tenancy), each unless the table already holds the
// flush. It returns nil once every table holds it. Conflicts with other
// writers are retried on the new base; any other failure is retried after reading the table back, since
// the commit may have happened. A nil st, or one without files (only a
// gap recorded), commits nothing.
func (t *Tables) Commit(ctx context.Context, st *sink.State) error {
	if st == nil || len(st.Files) == 0 {
		return nil
	}
	// The files by tenant, and by table in the order TableNames gives.
	byTenant := map[string]map[string][]sink.StateFile{}
	for _, f := range st.Files {
		tenant, err := t.TenantOf(f)
		if err != nil {
			return fmt.Errorf("commit flush %d..%d of %s/%d: %w", st.First, st.Last, st.Topic, st.Partition, err)
		}
		if byTenant[tenant] == nil {
			byTenant[tenant] = map[string][]sink.StateFile{}
		}
		byTenant[tenant][f.Table] = append(byTenant[tenant][f.Table], f)
	}
	for _, tenant := range slices.Sorted(maps.Keys(byTenant)) {
		if err := t.PrepareTenant(ctx, tenant); err != nil {
			return fmt.Errorf("commit flush %d..%d of %s/%d: %w", st.First, st.Last, st.Topic, st.Partition, err)
		}
		byTable := byTenant[tenant]
		for _, name := range TableNames() {
			files := byTable[name]
			delete(byTable, name)
			if len(files) == 0 {
				continue
			}
			if err := t.commitTable(ctx, ref{tenant, name}, st, files); err != nil {
				return fmt.Errorf("commit flush %d..%d of %s/%d to iceberg table %s: %w",
					st.First, st.Last, st.Topic, st.Partition, strings.Join(t.identOf(tenant, name), "."), err)
			}
		}
		for name := range byTable {
			return fmt.Errorf("commit flush %d..%d of %s/%d: files of table %q, which is not landed as an iceberg table", st.First, st.Last, st.Topic, st.Partition, name)
		}
	}
	return nil
}

// ref names one table of one tenant ("" without tenancy).
type ref struct{ tenant, table string }

// TenantOf returns the tenant whose tables file f belongs in, "" on a lake
// without tenancy, from the folder it was published in (DataDir).
func (t *Tables) TenantOf(f sink.StateFile) (string, error) {
	rel, ok := strings.CutPrefix(f.Final, t.conf.Location.Namespace+"/")
	if !ok {
		return "", permanent{fmt.Errorf("%w: file %s was published outside the namespace's folder %s (in the hive layout?): lake.format iceberg needs a lake of its own", ErrForeignTable, f.Final, t.conf.Location.Namespace)}
	}
	tenant, _ := splitTenant(rel)
	return tenant, nil
}

// commitTable commits the flush's files of one table, retrying as Commit
// says.
func (t *Tables) commitTable(ctx context.Context, r ref, st *sink.State, files []sink.StateFile) error {
	name := r.table
	var conflicts, failures int
	delay := retryMin
	for {
		done, err := t.attempt(ctx, r, st, files)
		if err == nil {
			if done != "" {
				t.log.Info("flush committed to iceberg table", zap.String("table", name), zap.String("namespace", t.NamespaceOf(r.tenant)), zap.String("topic", st.Topic),
					zap.Int32("partition", st.Partition), zap.Int64("first_offset", st.First), zap.Int64("last_offset", st.Last),
					zap.Int("files", len(files)), zap.String("outcome", done), zap.Int("conflicts", conflicts), zap.Int("failures", failures))
			}
			return nil
		}
		var perm permanent
		if ctx.Err() != nil || errors.As(err, &perm) {
			return err
		}
		if IsConflict(err) {
			conflicts++
			t.metrics.Conflict(name)
			if conflicts > maxConflicts {
				return fmt.Errorf("still conflicting after %d retries: %w", maxConflicts, err)
			}
		} else {
			failures++
			if failures > maxFailures {
				return fmt.Errorf("%d attempts failed; the table is read back before the next one: %w", failures, err)
			}
			t.log.Warn("iceberg commit failed; reading the table back before retrying", zap.String("table", name), zap.String("namespace", t.NamespaceOf(r.tenant)),
				zap.String("topic", st.Topic), zap.Int32("partition", st.Partition), zap.Int64("last_offset", st.Last), zap.Error(err))
		}
		if !sleep(ctx, delay/2+rand.N(delay/2+1)) {
			return err
		}
		delay = min(2*delay, retryMax)
	}
}

// permanent is an error that a retry would meet again: a data file that
// contradicts the flush's state, or is not where the table expects it.
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// Outcomes of an attempt that needs no retry.
const (
	outcomeCommitted = "committed"
	outcomePresent   = "already_present"
)

// attempt loads the table afresh and, unless its offsets say that it holds
// the flush already, appends the flush's files on that same base. The
// catalog commits only if the table is still at that base, so the check
// and the append cannot be separated by another commit.
func (t *Tables) attempt(ctx context.Context, r ref, st *sink.State, files []sink.StateFile) (string, error) {
	name := r.table
	cat, err := t.catalog(ctx)
	if err != nil {
		return "", err
	}
	tbl, err := cat.LoadTable(ctx, t.identOf(r.tenant, name))
	if err != nil {
		return "", fmt.Errorf("load: %w", err)
	}
	base, err := CommittedOffsets(tbl)
	if err != nil {
		return "", err
	}
	if base.Next(st.Topic, st.Partition) >= st.Last+1 {
		return outcomePresent, nil
	}
	dfs, err := t.dataFiles(ctx, tbl, r, files)
	if err != nil {
		return "", err
	}
	props, err := summary(base, st.Topic, st.Partition, st.First, st.Last)
	if err != nil {
		return "", err
	}
	tx := tbl.NewTransaction()
	// The summary's offsets are base's: pin the branch there, so that
	// iceberg-go never replays the append onto another snapshot when the
	// catalog's compare-and-swap loses (it does, with the table property
	// commit.retry.num-retries above 0); Commit retries on the new base.
	if err := tx.AssertRefSnapshotID(table.MainBranch); err != nil {
		return "", err
	}
	if err := tx.AddDataFiles(ctx, dfs, props, table.WithoutDuplicateCheck()); err != nil {
		return "", fmt.Errorf("add data files: %w", err)
	}
	start := time.Now()
	_, err = tx.Commit(ctx)
	t.metrics.Committed(name, time.Since(start))
	if err != nil {
		return "", err
	}
	if t.conf.ReadBack {
		if err := t.readBack(ctx, cat, r, st); err != nil {
			return "", err
		}
	}
	return outcomeCommitted, nil
}

// errNotReadBack is the error of a commit that returned success but whose
// flush the table does not hold: another committer's metadata took its
// version. It counts as a conflict (IsConflict).
var errNotReadBack = fmt.Errorf("%w: the committed table does not hold the flush: another committer's metadata took its version", table.ErrCommitFailed)

// readBack checks that table name, loaded afresh, holds the flush st.
// Every later version descends from the one that committed it, so a flush
// once held stays held.
func (t *Tables) readBack(ctx context.Context, cat catalog.Catalog, r ref, st *sink.State) error {
	tbl, err := cat.LoadTable(ctx, t.identOf(r.tenant, r.table))
	if err != nil {
		return fmt.Errorf("read back: %w", err)
	}
	offs, err := CommittedOffsets(tbl)
	if err != nil {
		return fmt.Errorf("read back: %w", err)
	}
	if offs.Next(st.Topic, st.Partition) < st.Last+1 {
		return errNotReadBack
	}
	return nil
}

// dataFiles describes the flush's files of table name for an append: the
// record count, size and column metrics read from each file's footer, and
// the partition value, checked against the file's partition folder and
// its rows (checkPartition).
func (t *Tables) dataFiles(ctx context.Context, tbl *table.Table, r ref, files []sink.StateFile) ([]iceberg.DataFile, error) {
	fsys, err := tbl.FS(ctx)
	if err != nil {
		return nil, err
	}
	part := t.partitioning(r.table)
	source, ok := tbl.Schema().FindFieldByName(part.Source)
	if !ok {
		return nil, permanent{fmt.Errorf("%w: no column %s", ErrForeignTable, part.Source)}
	}
	out := make([]iceberg.DataFile, len(files))
	for i, f := range files {
		loc, rel, ok := t.location(tbl, r.tenant, f)
		if !ok {
			return nil, permanent{fmt.Errorf("%w: file %s was published outside the table's data folder %s (in the hive layout?): lake.format iceberg needs a lake of its own", ErrForeignTable, f.Final, t.TenantDataDir(r.tenant, r.table))}
		}
		day, err := partitionDay(part, path.Dir(rel))
		if err != nil {
			return nil, permanent{fmt.Errorf("file %s: %w", f.Final, err)}
		}
		df, err := table.FileToDataFile(ctx, fsys, loc, tbl.Schema(), tbl.Spec(), 0, tbl.Properties())
		if err != nil {
			return nil, fmt.Errorf("read footer of %s: %w", loc, err)
		}
		if err := checkPartition(df, part, source.ID, day); err != nil {
			return nil, permanent{fmt.Errorf("file %s: %w", f.Final, err)}
		}
		if df.Count() != f.Rows {
			return nil, permanent{fmt.Errorf("file %s: %d rows, the flush's state says %d", f.Final, df.Count(), f.Rows)}
		}
		out[i] = df
	}
	return out, nil
}

// location maps a flush's file f to its location in tbl, the tenant's
// table f.Table, and to its path in the table's data folder; false when
// f lies outside that folder.
func (t *Tables) location(tbl *table.Table, tenant string, f sink.StateFile) (loc, rel string, ok bool) {
	rel, ok = strings.CutPrefix(f.Final, t.TenantDataDir(tenant, f.Table)+"/")
	if !ok {
		return "", "", false
	}
	return tbl.Location() + "/data/" + rel, rel, true
}

// checkPartition checks that data file df belongs in the partition its
// folder names, day (nil for the null partition): its partition value,
// which iceberg-go derives from the bounds of the source column (id
// source), is that day, and every row agrees. A file of a day has no null
// in the column, since its bounds ignore nulls; a file of the null
// partition has nothing but nulls, so that a reader pruning by partition
// value, or by the manifests' contains_null, finds every row whose column
// is null there and only there.
func checkPartition(df iceberg.DataFile, p Partitioning, source int, day *int32) error {
	v := df.Partition()[partitionFieldID]
	nulls := df.NullValueCounts()[source]
	switch got, ok := dayValue(v); {
	case day == nil && v != nil:
		return fmt.Errorf("its rows' %s is day %v, its folder says %s=%s", p.Source, v, p.Field, sink.NullValue)
	case day == nil && nulls != df.Count():
		return fmt.Errorf("%d of its %d rows have a %s, its folder says %s=%s", df.Count()-nulls, df.Count(), p.Source, p.Field, sink.NullValue)
	case day != nil && (!ok || got != *day):
		return fmt.Errorf("its rows' %s is day %v, its folder says day %d", p.Source, v, *day)
	case day != nil && nulls != 0:
		return fmt.Errorf("%d of its rows have no %s, its folder says day %d", nulls, p.Source, *day)
	}
	return nil
}

// dayValue returns a day transform's partition value as days since
// 1970-01-01.
func dayValue(v any) (int32, bool) {
	switch d := v.(type) {
	case int32:
		return d, true
	case iceberg.Date:
		return int32(d), true
	}
	return 0, false
}

// partitionDay parses a partition folder of partitioning p,
// <field>=YYYY-MM-DD, into the day transform's value (days since
// 1970-01-01), or <field>=null into nil, the null partition.
func partitionDay(p Partitioning, dir string) (*int32, error) {
	v, ok := strings.CutPrefix(dir, p.Field+"=")
	if !ok {
		return nil, fmt.Errorf("partition folder %q: want %s=YYYY-MM-DD or %s=%s", dir, p.Field, p.Field, sink.NullValue)
	}
	if v == sink.NullValue {
		return nil, nil
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return nil, fmt.Errorf("partition folder %q: %w", dir, err)
	}
	day := int32(d.Unix() / (24 * 60 * 60))
	return &day, nil
}

// specString describes spec of a table with schema sc for an operator:
// each field as name=transform(source column).
func specString(spec iceberg.PartitionSpec, sc *iceberg.Schema) string {
	var fields []string
	for _, f := range spec.Fields() {
		src := strconv.Itoa(f.SourceID())
		if c, ok := sc.FindFieldByID(f.SourceID()); ok {
			src = c.Name
		}
		fields = append(fields, fmt.Sprintf("%s=%s(%s)", f.Name, f.Transform, src))
	}
	if len(fields) == 0 {
		return "unpartitioned"
	}
	return "[" + strings.Join(fields, ", ") + "]"
}

// sleep waits d, or until ctx ends; false if it ended.
func sleep(ctx context.Context, d time.Duration) bool {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}
