package postgres

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"
)

func TestStartConnectAndQuery(t *testing.T) {
	s := Start(t, Config{})
	ctx := context.Background()
	db := open(s.DSN())
	t.Cleanup(func() { _ = db.Close() })

	var who, database, version string
	var super bool
	if err := db.QueryRowContext(ctx,
		"SELECT current_user, current_database(), version(), rolsuper FROM pg_roles WHERE rolname = current_user",
	).Scan(&who, &database, &version, &super); err != nil {
		t.Fatal(err)
	}
	if who != "landerd" || database != "landerd" || super {
		t.Fatalf("connected as %s (superuser %v) to %s, want the ordinary user landerd on landerd", who, super, database)
	}
	if !strings.HasPrefix(version, "PostgreSQL ") {
		t.Fatalf("version() = %q, want PostgreSQL", version)
	}

	// The user owns the database: it creates tables and reads them back.
	if _, err := db.ExecContext(ctx, "CREATE TABLE offsets (topic text, part int, next bigint, PRIMARY KEY (topic, part))"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO offsets VALUES ('a', 0, 10), ('a', 1, 20), ('b', 0, 30)"); err != nil {
		t.Fatal(err)
	}
	var n, sum int64
	if err := db.QueryRowContext(ctx, "SELECT count(*), sum(next) FROM offsets WHERE topic = 'a'").Scan(&n, &sum); err != nil {
		t.Fatal(err)
	}
	if n != 2 || sum != 30 {
		t.Fatalf("count, sum = %d, %d, want 2, 30", n, sum)
	}

	if want := "postgres://landerd:" + s.Password() + "@" + s.Addr() + "/landerd?sslmode=disable"; s.DSN() != want {
		t.Errorf("DSN() = %q, want %q", s.DSN(), want)
	}
	if want := "jdbc:postgresql://127.0.0.1:" + strconv.Itoa(s.Port()) + "/landerd"; s.JDBCURL() != want {
		t.Errorf("JDBCURL() = %q, want %q", s.JDBCURL(), want)
	}
	if s.Host() != "127.0.0.1" || s.Port() == 0 || s.User() != "landerd" || s.Database() != "landerd" || len(s.Password()) != 32 {
		t.Errorf("Host, Port, User, Database, Password = %s, %d, %s, %s, %q", s.Host(), s.Port(), s.User(), s.Database(), s.Password())
	}
	t.Logf("PostgreSQL %s: server start %s; memory with one client %.1f MiB (Pss of all its processes); postmaster peak RSS %.1f MiB",
		s.Version(), s.StartTime().Round(time.Millisecond), mib(s.Memory()), mib(s.PeakRSS()))
}

func TestPasswordIsRequired(t *testing.T) {
	s := Start(t, Config{Database: "catalog", User: "iceberg"})
	ctx := context.Background()
	for _, tc := range []struct {
		name, dsn string
	}{
		{"wrong password", dsn(s.User(), "not-the-password", s.Addr(), s.Database())},
		{"no password", "postgres://" + s.User() + "@" + s.Addr() + "/" + s.Database() + "?sslmode=disable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := open(tc.dsn)
			defer db.Close()
			err := db.PingContext(ctx)
			var pgErr pgdriver.Error
			if !errors.As(err, &pgErr) || pgErr.Field('C') != "28P01" {
				t.Fatalf("ping = %v, want SQLSTATE 28P01 (invalid password)", err)
			}
		})
	}
	db := open(s.DSN())
	defer db.Close()
	var who, database string
	if err := db.QueryRowContext(ctx, "SELECT current_user, current_database()").Scan(&who, &database); err != nil {
		t.Fatal(err)
	}
	if who != "iceberg" || database != "catalog" {
		t.Fatalf("connected as %s to %s, want iceberg on catalog", who, database)
	}
}

func TestStopRefusesAndRestartKeepsData(t *testing.T) {
	s := Start(t, Config{})
	ctx := context.Background()
	db := open(s.DSN())
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (id int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	insert(t, db, 1, 2, 3)
	addr, pid := s.Addr(), s.Pid()

	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if s.Running() || s.Pid() != 0 {
		t.Fatalf("after Stop: Running() = %v, Pid() = %d", s.Running(), s.Pid())
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		if c != nil {
			_ = c.Close()
		}
		t.Fatalf("dial %s after Stop: %v, want connection refused", addr, err)
	}
	fresh := open(s.DSN())
	err := fresh.PingContext(ctx)
	_ = fresh.Close()
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("connect after Stop: %v, want connection refused", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("a second Stop: %v, want nothing done", err)
	}

	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if s.Addr() != addr || s.Pid() == pid || !s.Running() {
		t.Fatalf("after Start: %s pid %d running %v, want %s, a new pid, running", s.Addr(), s.Pid(), s.Running(), addr)
	}
	if err := s.Start(); err == nil {
		t.Fatal("Start on a running server: no error")
	}
	// The handle from before the stop works again once its idle
	// connection, closed by the server, has failed once.
	reconnect(t, db)
	checkRows(t, db, 1, 2, 3)
	insert(t, db, 4)

	// An immediate shutdown, as after a crash: the next start recovers
	// what was committed from the write-ahead log.
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	reconnect(t, db)
	checkRows(t, db, 1, 2, 3, 4)
	if !strings.Contains(s.LogTail(200), "database system was interrupted") {
		t.Errorf("after Kill and Start the log does not mention recovery:\n%s", s.LogTail(20))
	}

	begin := time.Now()
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	t.Logf("Restart (fast shutdown, start) took %s; start alone %s", time.Since(begin).Round(time.Millisecond), s.StartTime().Round(time.Millisecond))
	reconnect(t, db)
	insert(t, db, 5)
	checkRows(t, db, 1, 2, 3, 4, 5)
}

func TestIdentifier(t *testing.T) {
	for name, want := range map[string]bool{
		"landerd": true, "iceberg_catalog": true, "_x1": true,
		"": false, "Landerd": false, "1st": false, "a-b": false, "a;drop": false, strings.Repeat("a", 64): false,
	} {
		if got := identifier.MatchString(name); got != want {
			t.Errorf("identifier %q: %v, want %v", name, got, want)
		}
	}
}

func TestFieldValue(t *testing.T) {
	b := []byte("Name:\tpostgres\nPPid:\t4242\nVmHWM:\t  1024 kB\n")
	if got := fieldValue(b, "PPid:"); got != 4242 {
		t.Errorf("PPid = %d, want 4242", got)
	}
	if got := kBField(b, "VmHWM:"); got != 1<<20 {
		t.Errorf("VmHWM = %d, want %d", got, 1<<20)
	}
	if got := fieldValue(b, "Pss:"); got != 0 {
		t.Errorf("absent field = %d, want 0", got)
	}
}

// reconnect pings db until it answers. A connection that sat idle in the
// pool while the server stopped fails its next use with the message the
// server sent when it closed it (SQLSTATE 57P01, "terminating connection
// due to administrator command"): pgdriver reports it instead of
// database/sql's ErrBadConn, so database/sql does not dial again by
// itself for that call. The next call gets a new connection.
func reconnect(t *testing.T, db *sql.DB) {
	t.Helper()
	for try := 1; ; try++ {
		err := db.PingContext(context.Background())
		if err == nil {
			return
		}
		t.Logf("ping %d after the server came back: %v", try, err)
		if try == 3 {
			t.Fatalf("no answer after %d pings", try)
		}
	}
}

func insert(t *testing.T, db *sql.DB, ids ...int) {
	t.Helper()
	for _, id := range ids {
		if _, err := db.ExecContext(context.Background(), "INSERT INTO t VALUES ($1)", id); err != nil {
			t.Fatalf("insert %d: %v", id, err)
		}
	}
}

func checkRows(t *testing.T, db *sql.DB, want ...int) {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), "SELECT id FROM t ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []int
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		got = append(got, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("rows = %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("rows = %v, want %v", got, want)
		}
	}
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
