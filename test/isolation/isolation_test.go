package isolation_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/landerd/landerd/pkg/sink"
	"github.com/landerd/landerd/test/kit/repo"
	"github.com/landerd/landerd/test/kit/sinktest"
	"github.com/landerd/landerd/test/system/minidfs"
)

// The lake's users and groups: landerd writes, alice reads for tenant a,
// bob for tenant b, ana is one of the firm's analysts.
const (
	userLanderd   = "landerd"
	userAlice     = "alice"
	userBob       = "bob"
	userAna       = "ana"
	groupFirm     = "lake-firm"
	groupAnalysts = "analysts"
	root          = "/lake"
	topic         = "assessment-attempts"
)

// tenantGroups are the tenants and the groups that may read their data.
var tenantGroups = map[string]string{"a": "a-readers", "b": "b-readers", "c": "c-readers"}

// aclDenied is the class of the exception HDFS answers a refused call with.
const aclDenied = "org.apache.hadoop.security.AccessControlException"

// flushes are the published flushes of each Kafka partition: tenant a
// over two days, b and c over one, a quarantined record of a and one
// without a tenant.
func flushes() []sinktest.Flush {
	return []sinktest.Flush{
		{Table: "attempts", Hive: "tenant=a/ingest_date=2026-11-24", Offsets: offsets(0, 4)},
		{Table: "attempts", Hive: "tenant=a/ingest_date=2026-11-25", Offsets: offsets(5, 9)},
		{Table: "attempts", Hive: "tenant=b/ingest_date=2026-11-24", Offsets: offsets(10, 15)},
		{Table: "attempts", Hive: "tenant=c/ingest_date=2026-11-25", Offsets: offsets(16, 17)},
		{Table: "_quarantine", Hive: "tenant=a/ingest_date=2026-11-24", Offsets: offsets(18, 18)},
		{Table: "_quarantine", Hive: "tenant=_unassigned/ingest_date=2026-11-24", Offsets: offsets(19, 19)},
	}
}

func offsets(first, last int64) []int64 {
	var out []int64
	for o := first; o <= last; o++ {
		out = append(out, o)
	}
	return out
}

// landed is the lake the test lands, as landerd's user sees it.
type landed struct {
	c    *minidfs.Cluster
	lake sink.FS // through WithAccess
	// files are the published data files of each tenant ("_unassigned"
	// for the unassigned quarantine), lake-relative.
	files map[string][]string
}

// land starts the cluster, sets up the operator's part (users, groups,
// the lake root and the analysts' default ACL) and lands the flushes on
// two Kafka partitions as landerd's user.
func land(t *testing.T) *landed {
	t.Helper()
	c := minidfs.Start(t, minidfs.Config{DataNodes: 1})
	groups := slices.Sorted(maps.Values(tenantGroups))
	for user, gs := range map[string][]string{
		userLanderd: append([]string{groupFirm}, groups...),
		userAlice:   {tenantGroups["a"]},
		userBob:     {tenantGroups["b"]},
		userAna:     {groupAnalysts},
	} {
		if err := c.SetUserGroups(user, gs...); err != nil {
			t.Fatalf("HDFS users: %v", err)
		}
	}
	if err := c.Mkdir(root, userLanderd, groupFirm, 0o751); err != nil {
		t.Fatalf("lake root: %v", err)
	}
	if err := c.SetFACL(root, "default:group:"+groupAnalysts+":r-x,group:"+groupAnalysts+":r-x"); err != nil {
		t.Fatalf("analysts' ACL: %v", err)
	}
	h, err := sink.NewHDFS(c.URL()+root, sink.HDFSOptions{User: userLanderd, Group: groupFirm, CallTimeout: 20 * time.Second})
	if err != nil {
		t.Fatalf("open the lake as %s: %v", userLanderd, err)
	}
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Errorf("close the lake: %v", err)
		}
	})
	access, err := sink.NewAccess(groupFirm, tenantGroups)
	if err != nil {
		t.Fatal(err)
	}
	l := &landed{c: c, lake: sink.WithAccess(h, access), files: map[string][]string{}}
	ctx := context.Background()
	for part := int32(0); part < 2; part++ {
		p, err := sink.Claim(ctx, l.lake, topic, part)
		if err != nil {
			t.Fatalf("claim %d: %v", part, err)
		}
		if err := sinktest.Publish(ctx, p, 0, 19, flushes()); err != nil {
			t.Fatalf("publish partition %d: %v", part, err)
		}
		for _, f := range flushes() {
			tenant := strings.TrimPrefix(strings.Split(f.Hive, "/")[0], "tenant=")
			name := path.Join(f.Table, f.Hive, sink.FileName(topic, part, f.Offsets[0], f.Offsets[len(f.Offsets)-1]))
			l.files[tenant] = append(l.files[tenant], name)
		}
	}
	return l
}

// abs is the HDFS path of a lake path.
func abs(name string) string { return path.Join(root, name) }

// wantRefused checks that err is HDFS's refusal.
func wantRefused(t *testing.T, what string, err error) {
	t.Helper()
	var ce *minidfs.ClientError
	if !errors.As(err, &ce) || ce.Class != aclDenied || !strings.Contains(ce.Message, "Permission denied") {
		t.Errorf("%s: err = %v; want %s: Permission denied", what, err, aclDenied)
	}
}

// wantRead checks that user reads the file name whole.
func (l *landed) wantRead(t *testing.T, user, name string) {
	t.Helper()
	fi, err := l.lake.Stat(name)
	if err != nil {
		t.Fatalf("stat %s: %v", name, err)
	}
	n, err := l.c.ReadAs(user, abs(name))
	if err != nil || n != fi.Size() || n == 0 {
		t.Errorf("%s reads %s: %d bytes, %v; want its %d bytes", user, name, n, err, fi.Size())
	}
}

// wantList checks that user lists dir and sees names.
func (l *landed) wantList(t *testing.T, user, dir string, names ...string) {
	t.Helper()
	got, err := l.c.ListAs(user, abs(dir))
	if err != nil || !slices.Equal(got, names) {
		t.Errorf("%s lists %s: %q, %v; want %q", user, dir, got, err, names)
	}
}

// TestTenantIsolation lands three tenants as landerd's user and checks
// who may list and read what, with Hadoop's own client, and the owner,
// group, mode and ACL of every path.
func TestTenantIsolation(t *testing.T) {
	l := land(t)
	statePath := path.Join(sink.PartitionDir(topic, 0), "state.json")

	t.Run("permissions", func(t *testing.T) { checkPermissions(t, l) })

	t.Run("own tenant", func(t *testing.T) {
		l.wantList(t, userAlice, "attempts/tenant=a", "ingest_date=2026-11-24", "ingest_date=2026-11-25")
		l.wantList(t, userAlice, "_quarantine/tenant=a", "ingest_date=2026-11-24")
		for _, name := range l.files["a"] {
			l.wantRead(t, userAlice, name)
		}
		for _, name := range l.files["b"] {
			l.wantRead(t, userBob, name)
		}
	})

	t.Run("other tenants", func(t *testing.T) {
		for _, dir := range []string{"attempts/tenant=b", "attempts/tenant=b/ingest_date=2026-11-24", "attempts/tenant=c"} {
			_, err := l.c.ListAs(userAlice, abs(dir))
			wantRefused(t, "alice lists "+dir, err)
		}
		for _, name := range append(slices.Clone(l.files["b"]), l.files["c"]...) {
			_, err := l.c.ReadAs(userAlice, abs(name))
			wantRefused(t, "alice reads "+name, err)
		}
		for _, name := range l.files["a"] {
			_, err := l.c.ReadAs(userBob, abs(name))
			wantRefused(t, "bob reads "+name, err)
		}
		// Tenants may traverse the tables to their own directory but not
		// list which tenants there are.
		for _, dir := range []string{".", "attempts", "_quarantine"} {
			_, err := l.c.ListAs(userAlice, abs(dir))
			wantRefused(t, "alice lists "+dir, err)
		}
	})

	t.Run("landerd's state and the unassigned", func(t *testing.T) {
		for _, dir := range []string{sink.ControlDir, sink.PartitionDir(topic, 0), path.Join(sink.PartitionDir(topic, 0), "tmp"), "_quarantine/tenant=_unassigned"} {
			_, err := l.c.ListAs(userAlice, abs(dir))
			wantRefused(t, "alice lists "+dir, err)
		}
		for _, name := range append([]string{statePath}, l.files["_unassigned"]...) {
			_, err := l.c.ReadAs(userAlice, abs(name))
			wantRefused(t, "alice reads "+name, err)
		}
	})

	t.Run("analyst", func(t *testing.T) {
		l.wantList(t, userAna, ".", "_landerd", "_quarantine", "attempts")
		l.wantList(t, userAna, "attempts", "tenant=a", "tenant=b", "tenant=c")
		l.wantList(t, userAna, "_quarantine", "tenant=_unassigned", "tenant=a")
		for _, names := range l.files {
			for _, name := range names {
				l.wantRead(t, userAna, name)
			}
		}
		l.wantRead(t, userAna, statePath)
		// Read, never write: the ACL's mask keeps analysts at r-x.
		for _, name := range []string{"attempts/tenant=a", l.files["a"][0]} {
			st, err := l.c.Stat(abs(name))
			if err != nil {
				t.Fatal(err)
			}
			if p := effective(st, "group:"+groupAnalysts); p&0o2 != 0 {
				t.Errorf("%s: analysts may write (%o)", name, p)
			}
		}
	})

	t.Run("during a flush", func(t *testing.T) {
		ctx := context.Background()
		p, err := sink.Claim(ctx, l.lake, topic, 0)
		if err != nil {
			t.Fatalf("claim: %v", err)
		}
		files, err := sinktest.WriteFlush(p, []sinktest.Flush{
			{Table: "attempts", Hive: "tenant=b/ingest_date=2026-11-24", Offsets: offsets(20, 21)},
		})
		if err != nil {
			t.Fatalf("write a flush: %v", err)
		}
		for _, f := range files {
			if err := f.Close(); err != nil { // written, not published
				t.Fatalf("close: %v", err)
			}
		}
		tmpDir := path.Join(sink.PartitionDir(topic, 0), "tmp")
		tmps, err := l.lake.ReadDir(tmpDir)
		if err != nil || len(tmps) != 1 {
			t.Fatalf("tmp files: %v, %v; want the flush's one", tmps, err)
		}
		tmp := path.Join(tmpDir, tmps[0].Name())
		checkPath(t, l, tmp, false)
		for _, user := range []string{userAlice, userBob} {
			_, err := l.c.ReadAs(user, abs(tmp))
			wantRefused(t, user+" reads the temporary file "+tmp, err)
		}
		if err := p.Publish(ctx, files, 20, 21); err != nil {
			t.Fatalf("publish: %v", err)
		}
		final := path.Join("attempts/tenant=b/ingest_date=2026-11-24", sink.FileName(topic, 0, 20, 21))
		checkPath(t, l, final, false)
		l.wantRead(t, userBob, final)
		_, err = l.c.ReadAs(userAlice, abs(final))
		wantRefused(t, "alice reads "+final, err)
		l.files["b"] = append(l.files["b"], final)
	})

	t.Run("spark", func(t *testing.T) {
		url := l.c.URL() + root
		alice := tenantRead(t, userAlice, url+"/attempts/tenant=a", url+"/attempts/tenant=b")
		if got := alice[0]; got.Error != "" || got.Rows != 20 {
			t.Errorf("Spark as alice reads tenant a: %+v; want 20 rows", got)
		}
		if got := alice[1]; got.Error != aclDenied || !strings.Contains(got.Message, "Permission denied") {
			t.Errorf("Spark as alice reads tenant b: %+v; want %s: Permission denied", got, aclDenied)
		}
		ana := tenantRead(t, userAna, url+"/attempts")
		want := map[string]int64{"a": 20, "b": 14, "c": 4}
		if got := ana[0]; got.Error != "" || got.Rows != 38 || !maps.Equal(got.Tenants, want) {
			t.Errorf("Spark as ana reads attempts: %+v; want 38 rows, per tenant %v", got, want)
		}
	})
}

// checkPermissions checks, as the superuser, the owner, group, mode and
// ACL of every path of the lake against the spec.
func checkPermissions(t *testing.T, l *landed) {
	var walk func(dir string) int
	walk = func(dir string) int {
		infos, err := l.lake.ReadDir(dir)
		if err != nil {
			t.Fatalf("readdir %s: %v", dir, err)
		}
		n := 0
		for _, fi := range infos {
			name := path.Join(dir, fi.Name())
			checkPath(t, l, name, fi.IsDir())
			n++
			if fi.IsDir() {
				n += walk(name)
			}
		}
		return n
	}
	checkPath(t, l, ".", true)
	t.Logf("checked the owner, group, mode and ACL of %d paths", walk(".")+1)
}

// checkPath checks the owner, group, mode and ACL of one path.
func checkPath(t *testing.T, l *landed, name string, dir bool) {
	t.Helper()
	st, err := l.c.Stat(abs(name))
	if err != nil {
		t.Fatalf("stat %s: %v", name, err)
	}
	group, mode := wantAccess(name, dir)
	if st.Owner != userLanderd || st.Group != group || st.Mode != mode {
		t.Errorf("%s: %s:%s %04o; want %s:%s %04o", name, st.Owner, st.Group, st.Mode, userLanderd, group, mode)
	}
	// The analysts' entry reaches everything, masked to read (and
	// traverse).
	wantAnalysts := fs.FileMode(0o4)
	if dir {
		wantAnalysts = 0o5
		if !slices.Contains(st.ACL, "default:group:"+groupAnalysts+":r-x") {
			t.Errorf("%s: ACL %q lacks the analysts' default entry", name, st.ACL)
		}
	}
	if got := effective(st, "group:"+groupAnalysts); got != wantAnalysts {
		t.Errorf("%s: analysts' effective permission %o (ACL %q, mode %04o); want %o", name, got, st.ACL, st.Mode, wantAnalysts)
	}
	// The owning group, through the ACL's group entry, reads.
	if got := effective(st, "group:"); got != wantAnalysts {
		t.Errorf("%s: the group's effective permission %o (ACL %q, mode %04o); want %o", name, got, st.ACL, st.Mode, wantAnalysts)
	}
}

// wantAccess is the group and mode the spec prescribes for a lake path.
func wantAccess(name string, dir bool) (string, fs.FileMode) {
	elems := strings.Split(name, "/")
	if name == "." || dir && len(elems) == 1 && elems[0] != sink.ControlDir {
		return groupFirm, 0o751
	}
	group := groupFirm
	if len(elems) > 1 && elems[0] != sink.ControlDir {
		if g, ok := tenantGroups[strings.TrimPrefix(elems[1], "tenant=")]; ok {
			group = g
		}
	}
	if dir {
		return group, 0o750
	}
	return group, 0o640
}

// effective returns the permission an access ACL entry ("group:analysts",
// "group:" for the owning group) grants: its bits masked by the group bits
// of the mode, which hold the ACL's mask.
func effective(st minidfs.Status, entry string) fs.FileMode {
	for _, e := range st.ACL {
		perms, ok := strings.CutPrefix(e, entry+":")
		if !ok || len(perms) != 3 {
			continue
		}
		var p fs.FileMode
		for i, bit := range []fs.FileMode{4, 2, 1} {
			if perms[i] != '-' {
				p |= bit
			}
		}
		return p & (st.Mode >> 3 & 0o7)
	}
	return 0
}

// read is one answer of landerd_lake.tenantread.
type read struct {
	URL     string           `json:"url"`
	Rows    int64            `json:"rows"`
	Tenants map[string]int64 `json:"tenants"`
	Error   string           `json:"error"`
	Message string           `json:"message"`
}

// tenantRead reads urls with Spark as user (HADOOP_USER_NAME) through
// python -m landerd_lake.tenantread in the project's virtualenv.
func tenantRead(t *testing.T, user string, urls ...string) []read {
	t.Helper()
	dir, err := repo.Root()
	if err != nil {
		t.Fatalf("Spark (pyspark): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", append([]string{filepath.Join(dir, "scripts", "python", "py"), "-m", "landerd_lake.tenantread"}, urls...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HADOOP_USER_NAME="+user)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("Spark (pyspark via scripts/python/py) as %s: %v\n%s", user, err, tail(stderr.String(), 3000))
	}
	t.Logf("Spark as %s read %d tables in %s", user, len(urls), time.Since(start).Round(time.Millisecond))
	var out []read
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		var r read
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("Spark as %s: line %q: %v", user, sc.Text(), err)
		}
		out = append(out, r)
	}
	if len(out) != len(urls) {
		t.Fatalf("Spark as %s: %d answers for %d tables:\n%s\n%s", user, len(out), len(urls), stdout.String(), tail(stderr.String(), 3000))
	}
	for i, r := range out {
		if r.URL != urls[i] {
			t.Fatalf("Spark as %s: answer %d is for %s; want %s", user, i, r.URL, urls[i])
		}
	}
	return out
}

// tail returns the last n bytes of s.
func tail(s string, n int) string {
	if len(s) > n {
		return fmt.Sprintf("...%s", s[len(s)-n:])
	}
	return s
}
