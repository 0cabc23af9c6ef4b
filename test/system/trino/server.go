package trino

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/landerd/landerd/test/kit/servertest"
)

// Options say how to run a Trino server.
type Options struct {
	// Home is the unpacked server (bin/launcher, lib/, plugin/hive).
	Home string
	// JavaHome is the Java 24+ installation Trino runs on.
	JavaHome string
	// Dir holds the server's etc/ and data/ and its log, and is the root of
	// the local file system the catalogs see (local:///x is Dir/x). It must
	// exist; the caller removes it.
	Dir string
	// Catalogs are the Hive catalogs to create, by name; each keeps its
	// file metastore in local:///<name>/metastore.
	Catalogs []string
	// Iceberg are the Iceberg catalogs to create, each listing its tables
	// in a PostgreSQL database (iceberg.catalog.type=jdbc).
	Iceberg []IcebergCatalog
	// MaxHeap is the JVM's -Xmx, e.g. "1G"; empty means "1G".
	MaxHeap string
	// StartTimeout bounds the wait for the server to start; zero means 3m.
	StartTimeout time.Duration
}

// Server is a running single-node Trino. Close stops it.
type Server struct {
	cmd     *exec.Cmd
	base    string
	logPath string
	client  *http.Client
	done    chan struct{} // closed when the process has exited
	waitErr error         // the process's exit; set before done closes
	// Started is how long the server took from launch to accepting
	// queries.
	Started time.Duration
}

// Start writes the server's configuration into opts.Dir, launches
// bin/launcher run with opts.JavaHome, and waits until the coordinator has
// finished starting.
func Start(ctx context.Context, opts Options) (*Server, error) {
	launcher := filepath.Join(opts.Home, "bin", "launcher")
	if _, err := os.Stat(launcher); err != nil {
		return nil, fmt.Errorf("start trino: %w (run scripts/trino/install.sh)", err)
	}
	java := filepath.Join(opts.JavaHome, "bin", "java")
	if _, err := os.Stat(java); err != nil {
		return nil, fmt.Errorf("start trino: Java 24+ needed: %w", err)
	}
	heap := opts.MaxHeap
	if heap == "" {
		heap = "1G"
	}
	startTimeout := opts.StartTimeout
	if startTimeout == 0 {
		startTimeout = 3 * time.Minute
	}
	addr, err := servertest.FreeAddr()
	if err != nil {
		return nil, fmt.Errorf("start trino: %w", err)
	}
	etc := filepath.Join(opts.Dir, "etc")
	data := filepath.Join(opts.Dir, "data")
	if err := writeConfig(etc, data, addr, heap, opts); err != nil {
		return nil, fmt.Errorf("start trino: %w", err)
	}
	logPath := filepath.Join(opts.Dir, "trino.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("start trino: %w", err)
	}
	cmd := exec.Command(launcher, "run", "--etc-dir="+etc, "--data-dir="+data)
	cmd.Env = append(os.Environ(),
		"JAVA_HOME="+opts.JavaHome,
		"PATH="+filepath.Join(opts.JavaHome, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	// A group of its own, so that Close reaches the JVM whether or not the
	// launcher replaced itself with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	launched := time.Now()
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("start trino: %w", err)
	}
	s := &Server{
		cmd:     cmd,
		base:    "http://" + addr,
		logPath: logPath,
		client:  &http.Client{Timeout: 2 * time.Minute},
		done:    make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		err := cmd.Wait()
		if cerr := logFile.Close(); cerr != nil && err == nil {
			err = cerr
		}
		s.waitErr = err
	}()
	if err := s.waitStarted(ctx, startTimeout); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("start trino: %w\n%s", err, s.LogTail(40))
	}
	s.Started = time.Since(launched)
	return s, nil
}

// IcebergCatalog is an Iceberg catalog of the JDBC type: its tables are
// rows of a PostgreSQL database (the Java JdbcCatalog's iceberg_tables and
// iceberg_namespace_properties, which iceberg-go's and pyiceberg's sql
// catalogs share), their files on the local file system.
type IcebergCatalog struct {
	// Name is the catalog's name in Trino, e.g. "iceberg".
	Name string
	// JDBCURL, User and Password reach the database:
	// jdbc:postgresql://host:port/db.
	JDBCURL, User, Password string
	// CatalogName is the name the rows are stored under (catalog_name),
	// which must be the writer's; empty means DefaultIcebergCatalogName.
	CatalogName string
	// Warehouse is the absolute path of the folder tables created by Trino
	// go in (as file:///<Warehouse>/<schema>/<table>-<id>). Tables written
	// by others may be anywhere on the local file system: the catalog's
	// local.location is /, so their file:// locations read as they are.
	// With HDFS, it is a path on that cluster.
	Warehouse string
	// HDFS, when set, is a NameNode's URL, hdfs://host:port: the catalog
	// reads and writes HDFS (fs.hadoop.enabled=true; Trino's HDFS client
	// needs no configuration file for one NameNode named in the tables'
	// locations) instead of the local file system, and its warehouse is
	// there. Trino acts on HDFS as the OS user it runs as.
	HDFS string
}

// DefaultIcebergCatalogName is the catalog name landerd stores its
// Iceberg tables under in a SQL catalog.
const DefaultIcebergCatalogName = "landerd"

// properties returns the catalog's etc/catalog/<Name>.properties lines.
func (c IcebergCatalog) properties() (string, error) {
	if c.Name == "" || c.JDBCURL == "" || !filepath.IsAbs(c.Warehouse) {
		return "", fmt.Errorf("iceberg catalog %q: want a name, a JDBC URL and an absolute warehouse path", c.Name)
	}
	name := c.CatalogName
	if name == "" {
		name = DefaultIcebergCatalogName
	}
	props := []string{
		"connector.name=iceberg",
		"iceberg.catalog.type=jdbc",
		"iceberg.jdbc-catalog.driver-class=org.postgresql.Driver",
		"iceberg.jdbc-catalog.connection-url=" + c.JDBCURL,
		"iceberg.jdbc-catalog.connection-user=" + c.User,
		"iceberg.jdbc-catalog.connection-password=" + c.Password,
		"iceberg.jdbc-catalog.catalog-name=" + name,
	}
	if c.HDFS != "" {
		if !strings.HasPrefix(c.HDFS, "hdfs://") {
			return "", fmt.Errorf("iceberg catalog %q: HDFS %q is not an hdfs:// URL", c.Name, c.HDFS)
		}
		return lines(append(props,
			"iceberg.jdbc-catalog.default-warehouse-dir="+strings.TrimSuffix(c.HDFS, "/")+filepath.ToSlash(c.Warehouse),
			"iceberg.file-format=PARQUET",
			// The plugin's HDFS client, from plugin/iceberg/hdfs
			// (scripts/trino/install.sh).
			"fs.hadoop.enabled=true",
		)...), nil
	}
	return lines(append(props,
		"iceberg.jdbc-catalog.default-warehouse-dir=file://"+filepath.ToSlash(c.Warehouse),
		"iceberg.file-format=PARQUET",
		// file:///x and local:///x both name /x: Trino's local file
		// system serves both schemes, relative to local.location.
		"fs.native-local.enabled=true",
		"local.location=/",
	)...), nil
}

// writeConfig writes etc/: the node, the JVM, the coordinator, one Hive
// catalog per name in opts.Catalogs, over the local file system rooted at
// opts.Dir, and the Iceberg catalogs of opts.Iceberg.
func writeConfig(etc, data, addr, heap string, opts Options) error {
	root, catalogs := opts.Dir, opts.Catalogs
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	files := map[string]string{
		"node.properties": lines(
			"node.environment=landerd_test",
			"node.id=landerd-test",
			"node.data-dir="+data,
			// Listen on loopback only.
			"node.bind-ip=127.0.0.1",
			"node.internal-address=127.0.0.1",
		),
		"jvm.config": lines(
			"-server",
			"-Xmx"+heap,
			// One small heap on a small machine: the serial collector
			// needs no threads of its own (Trino warns that it prefers G1).
			"-XX:+UseSerialGC",
			"-XX:+ExitOnOutOfMemoryError",
			"-Djdk.attach.allowAttachSelf=true",
		),
		"config.properties": lines(
			"coordinator=true",
			"node-scheduler.include-coordinator=true",
			"http-server.http.port="+port,
			"discovery.uri=http://"+addr,
			"query.max-memory=512MB",
			"query.max-memory-per-node=512MB",
			"task.concurrency=2",
		),
		"log.properties": lines("io.trino=INFO"),
	}
	for _, c := range catalogs {
		files[filepath.Join("catalog", c+".properties")] = lines(
			"connector.name=hive",
			"hive.metastore=file",
			"hive.metastore.catalog.dir=local:///"+c+"/metastore",
			"fs.native-local.enabled=true",
			"local.location="+root,
			// landerd writes timestamp[us, UTC]: keep the microseconds,
			// read as UTC (as deploy/compose/trino/catalog/hive.properties).
			"hive.timestamp-precision=MICROSECONDS",
			"hive.parquet.time-zone=UTC",
		)
		if err := os.MkdirAll(filepath.Join(root, c, "metastore"), 0o755); err != nil {
			return err
		}
	}
	for _, c := range opts.Iceberg {
		props, err := c.properties()
		if err != nil {
			return err
		}
		files[filepath.Join("catalog", c.Name+".properties")] = props
		if c.HDFS != "" {
			continue
		}
		if err := os.MkdirAll(c.Warehouse, 0o755); err != nil {
			return err
		}
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(etc, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(files[n]), 0o644); err != nil {
			return err
		}
	}
	return os.MkdirAll(data, 0o755)
}

func lines(l ...string) string { return strings.Join(l, "\n") + "\n" }

// waitStarted polls /v1/info until the server says it is no longer
// starting, the process exits, ctx ends or limit passes.
func (s *Server) waitStarted(ctx context.Context, limit time.Duration) error {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		if s.started(ctx) {
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("trino exited while starting: %v", s.waitErr)
		case <-deadline.C:
			return fmt.Errorf("trino not started within %s", limit)
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// started reports whether the server has finished starting and can run
// a query: /v1/info no longer says "starting", and the coordinator has
// announced itself as an active node, without which a query fails with
// NO_NODES_AVAILABLE for the first seconds after start-up.
func (s *Server) started(ctx context.Context) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/v1/info", nil)
	if err != nil {
		return false
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var info struct {
		Starting bool `json:"starting"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&info) != nil || info.Starting {
		return false
	}
	res, err := s.Query(ctx, "system", "runtime", "SELECT count(*) FROM nodes WHERE state = 'active'")
	if err != nil || len(res.Rows) != 1 || len(res.Rows[0]) != 1 {
		return false
	}
	n, ok := res.Rows[0][0].(json.Number)
	if !ok {
		return false
	}
	active, err := n.Int64()
	return err == nil && active >= 1
}

// URL is the server's base URL, http://127.0.0.1:port.
func (s *Server) URL() string { return s.base }

// Pid is the server process's id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// LogTail returns the last n lines of the server's log.
func (s *Server) LogTail(n int) string {
	return servertest.LogTail(s.logPath, n)
}

// Close stops the server's process group with SIGTERM, or SIGKILL after
// 30s, and waits for it to exit.
func (s *Server) Close() error {
	select {
	case <-s.done:
		return nil
	default:
	}
	pgid := -s.cmd.Process.Pid
	if err := syscall.Kill(pgid, syscall.SIGTERM); err != nil {
		<-s.done
		return nil
	}
	kill := time.NewTimer(30 * time.Second)
	defer kill.Stop()
	select {
	case <-s.done:
		return nil
	case <-kill.C:
		_ = syscall.Kill(pgid, syscall.SIGKILL)
		<-s.done
		return errors.New("stop trino: killed after 30s")
	}
}

// Column is a result column: its name and Trino type, e.g. "bigint".
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Result is the answer to one statement. Numbers are json.Number, so that
// bigint and double values keep every digit Trino sent.
type Result struct {
	Columns []Column
	Rows    [][]any
}

// Maps returns the rows keyed by column name.
func (r Result) Maps() []map[string]any {
	out := make([]map[string]any, len(r.Rows))
	for i, row := range r.Rows {
		m := make(map[string]any, len(r.Columns))
		for j, c := range r.Columns {
			m[c.Name] = row[j]
		}
		out[i] = m
	}
	return out
}

// QueryError is a statement Trino refused or failed.
type QueryError struct {
	SQL     string
	Name    string // Trino's error name, e.g. SYNTAX_ERROR
	Message string
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("trino %s: %s\n-- in:\n%s", e.Name, e.Message, e.SQL)
}

// statementResponse is one page of Trino's client protocol.
type statementResponse struct {
	NextURI string   `json:"nextUri"`
	Columns []Column `json:"columns"`
	Data    [][]any  `json:"data"`
	Error   *struct {
		Message   string `json:"message"`
		ErrorName string `json:"errorName"`
	} `json:"error"`
}

// noNodesWait bounds how long Query retries a statement that failed with
// NO_NODES_AVAILABLE. Trino's scheduler refreshes the list of nodes it
// places a catalog's work on from time to time, so the first statements
// that need a worker can find none for a moment after the server has
// announced itself as active, which is what Start waits for (seen: about
// 1.5 s, the first hive query after start). A write finds it as
// GENERIC_INTERNAL_ERROR "nodes is empty" instead (seen: the first INSERT
// into an Iceberg table, 2.5 s after start). Such a statement has not run,
// and running it again is safe.
const noNodesWait = 20 * time.Second

// Query runs one statement as user "landerd" with catalog and schema (an
// empty schema is not sent) and returns its columns and rows, following the
// protocol's nextUri until the statement is finished. A statement that
// finds no node to run on is retried for up to noNodesWait.
func (s *Server) Query(ctx context.Context, catalog, schema, sql string) (Result, error) {
	deadline := time.Now().Add(noNodesWait)
	for {
		res, err := s.query(ctx, catalog, schema, sql)
		var qe *QueryError
		if !errors.As(err, &qe) || !qe.noNodes() || time.Now().After(deadline) {
			return res, err
		}
		select {
		case <-ctx.Done():
			return Result{}, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// noNodes reports whether the statement failed because the scheduler
// found no node for its catalog yet (see noNodesWait).
func (e *QueryError) noNodes() bool {
	return e.Name == "NO_NODES_AVAILABLE" || e.Name == "GENERIC_INTERNAL_ERROR" && e.Message == "nodes is empty"
}

// query runs one statement once (see Query).
func (s *Server) query(ctx context.Context, catalog, schema, sql string) (Result, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/v1/statement", strings.NewReader(sql))
	if err != nil {
		return Result{}, err
	}
	header := http.Header{}
	header.Set("X-Trino-User", "landerd")
	header.Set("X-Trino-Source", "landerd-tests")
	header.Set("X-Trino-Catalog", catalog)
	if schema != "" {
		header.Set("X-Trino-Schema", schema)
	}
	req.Header = header.Clone()
	var res Result
	for {
		page, err := s.page(req)
		if err != nil {
			return Result{}, fmt.Errorf("trino query: %w", err)
		}
		if page.Error != nil {
			return Result{}, &QueryError{SQL: sql, Name: page.Error.ErrorName, Message: page.Error.Message}
		}
		if res.Columns == nil && page.Columns != nil {
			res.Columns = page.Columns
		}
		res.Rows = append(res.Rows, page.Data...)
		if page.NextURI == "" {
			return res, nil
		}
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, page.NextURI, nil)
		if err != nil {
			return Result{}, err
		}
		req.Header = header.Clone()
	}
}

// page sends one request of the protocol, retrying while the server
// answers 502, 503 or 504 (busy), as Trino's clients do.
func (s *Server) page(req *http.Request) (statementResponse, error) {
	for attempt := 0; ; attempt++ {
		var body []byte
		if req.GetBody != nil {
			r, err := req.GetBody()
			if err != nil {
				return statementResponse{}, err
			}
			req.Body = r
		}
		resp, err := s.client.Do(req)
		if err != nil {
			return statementResponse{}, err
		}
		body, err = io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			return statementResponse{}, err
		}
		switch resp.StatusCode {
		case http.StatusOK:
			var page statementResponse
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.UseNumber()
			if err := dec.Decode(&page); err != nil {
				return statementResponse{}, fmt.Errorf("decode %s: %w", req.URL, err)
			}
			return page, nil
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			if attempt >= 20 {
				return statementResponse{}, fmt.Errorf("%s: HTTP %d after %d tries", req.URL, resp.StatusCode, attempt+1)
			}
			select {
			case <-req.Context().Done():
				return statementResponse{}, req.Context().Err()
			case <-time.After(100 * time.Millisecond):
			}
		default:
			return statementResponse{}, fmt.Errorf("%s: HTTP %d: %s", req.URL, resp.StatusCode, body)
		}
	}
}
