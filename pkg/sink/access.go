package sink

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/user"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/colinmarc/hdfs/v2"
)

// The permission bits WithAccess gives what it creates.
const (
	// ListableDirPerm is the mode of the lake root and the table
	// directories: others may traverse them to reach their own tenant's
	// directory, but not list the tenants.
	ListableDirPerm fs.FileMode = 0o751
	// DirPerm is the mode of every other directory.
	DirPerm fs.FileMode = 0o750
	// FilePerm is the mode of every file.
	FilePerm fs.FileMode = 0o640
)

// Access says which groups may read the lake: the firm's group, which owns
// the lake's structure and landerd's own state, and one group per tenant,
// which owns that tenant's data. The zero Access has no tenants.
type Access struct {
	group   string
	tenants map[string]string // tenant name -> group
}

// NewAccess describes a lake whose firm group is group (empty: groups are
// left as the filesystem gives them) and whose tenants' data belongs to
// the groups of tenantGroups (tenant name -> group). With no tenants the
// Access changes nothing.
func NewAccess(group string, tenantGroups map[string]string) (Access, error) {
	var errs []error
	for t, g := range tenantGroups {
		if !ValidTenant(t) {
			errs = append(errs, fmt.Errorf("tenant %q: want a name matching %s", t, tenantName))
		}
		if g == "" {
			errs = append(errs, fmt.Errorf("tenant %q: no group", t))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Access{}, fmt.Errorf("lake access: %w", err)
	}
	return Access{group: group, tenants: maps.Clone(tenantGroups)}, nil
}

// HasTenants reports whether the Access has tenants; without them WithAccess
// changes nothing.
func (a Access) HasTenants() bool { return len(a.tenants) > 0 }

// errUnknownTenant is the error of a path in the directory of a tenant
// the Access does not know: landerd would not know whom to give it.
var errUnknownTenant = errors.New("unknown tenant: no group to give its data")

// of returns the group (empty: leave it) and mode a path of the lake gets:
//
//	.                                      group,  ListableDirPerm
//	<table>                                group,  ListableDirPerm (a file: FilePerm)
//	<table>/tenant=T/...                   T's group, DirPerm / FilePerm
//	<table>/tenant=_unassigned/..., _landerd/..., any other path
//	                                       group,  DirPerm / FilePerm
func (a Access) of(name string, dir bool) (string, fs.FileMode, error) {
	perm := FilePerm
	if dir {
		perm = DirPerm
	}
	if name == "." {
		return a.group, ListableDirPerm, nil
	}
	table, rest, nested := strings.Cut(name, "/")
	switch {
	case table == ControlDir:
		return a.group, perm, nil
	case !nested:
		if dir {
			perm = ListableDirPerm
		}
		return a.group, perm, nil
	}
	t, ok := TenantOf(rest)
	if !ok || t == UnassignedTenant {
		return a.group, perm, nil
	}
	g, ok := a.tenants[t]
	if !ok {
		return "", 0, fmt.Errorf("tenant %q: %w", t, errUnknownTenant)
	}
	return g, perm, nil
}

// WithAccess returns fsys giving everything created through it the group
// and mode a prescribes for its path (see [Access]); with no tenants it
// returns fsys itself, unchanged.
//
// Files are created with [FilePerm] and take the group of their directory.
// MkdirAll creates missing directories one level at a time and gives each
// its group and mode; directories it finds with another mode or group are
// given theirs (the operator must own the lake root, or give it its group
// and mode beforehand). Rename gives a file moved into another group's
// directory (a temporary file published into a tenant's directory) that
// group before it moves, so the file is never readable by another tenant.
// A path in the directory of a tenant a does not know is refused.
//
// The wrapper remembers the directories it has checked, so that where
// nothing changes it makes no more calls than fsys alone would: MkdirAll
// of a known directory is one Stat, Create one CreatePerm, Rename within
// one group one Rename.
func WithAccess(fsys FS, a Access) FS {
	if !a.HasTenants() {
		return fsys
	}
	return &accessFS{inner: fsys, a: a, dirs: map[string]bool{}}
}

// accessFS is the FS WithAccess returns.
type accessFS struct {
	inner FS
	a     Access

	mu   sync.Mutex
	dirs map[string]bool // directories known to exist with their group and mode
}

// String implements [FS].
func (w *accessFS) String() string { return w.inner.String() }

// Create implements [FS]: the file gets FilePerm.
func (w *accessFS) Create(name string) (File, error) { return w.CreatePerm(name, FilePerm) }

// CreatePerm implements [FS]. The file takes its directory's group; when
// its own differs (only for a file in a table directory's place), it is
// given its own.
func (w *accessFS) CreatePerm(name string, perm fs.FileMode) (File, error) {
	if err := checkPath("create", name); err != nil {
		return nil, err
	}
	group, _, err := w.a.of(name, false)
	if err != nil {
		return nil, &fs.PathError{Op: "create", Path: name, Err: err}
	}
	f, err := w.inner.CreatePerm(name, perm)
	if err != nil {
		return nil, err
	}
	if dirGroup, _, err := w.a.of(path.Dir(name), true); group != "" && (err != nil || dirGroup != group) {
		if err := w.inner.Chgrp(name, group); err != nil {
			return nil, errors.Join(err, f.Close())
		}
	}
	return f, nil
}

// Open implements [FS].
func (w *accessFS) Open(name string) (ReadFile, error) { return w.inner.Open(name) }

// ReadDir implements [FS].
func (w *accessFS) ReadDir(name string) ([]fs.FileInfo, error) { return w.inner.ReadDir(name) }

// Stat implements [FS].
func (w *accessFS) Stat(name string) (fs.FileInfo, error) { return w.inner.Stat(name) }

// Chmod implements [FS].
func (w *accessFS) Chmod(name string, perm fs.FileMode) error { return w.inner.Chmod(name, perm) }

// Chgrp implements [FS].
func (w *accessFS) Chgrp(name, group string) error { return w.inner.Chgrp(name, group) }

// Rename implements [FS]. When to's group differs from from's, from is
// given to's group first. Files keep their mode, FilePerm everywhere.
func (w *accessFS) Rename(from, to string) error {
	if err := checkPath("rename", from); err != nil {
		return err
	}
	if err := checkPath("rename", to); err != nil {
		return err
	}
	group, _, err := w.a.of(to, false)
	if err != nil {
		return &fs.PathError{Op: "rename", Path: to, Err: err}
	}
	if fromGroup, _, err := w.a.of(from, false); group != "" && (err != nil || fromGroup != group) {
		if err := w.inner.Chgrp(from, group); err != nil {
			return &fs.PathError{Op: "rename", Path: from, Err: UnwrapPath(err)}
		}
	}
	return w.inner.Rename(from, to)
}

// RemoveAll implements [FS]. It forgets the directories it removes.
func (w *accessFS) RemoveAll(name string) error {
	err := w.inner.RemoveAll(name)
	w.mu.Lock()
	for d := range w.dirs {
		if d == name || strings.HasPrefix(d, name+"/") {
			delete(w.dirs, d)
		}
	}
	w.mu.Unlock()
	return err
}

// known reports whether dir was checked before.
func (w *accessFS) known(dir string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.dirs[dir]
}

// maxKnownDirs bounds the directories an accessFS remembers; when it is
// reached it forgets them all and checks each again on its next MkdirAll.
// A day's directories of a lake are far fewer.
const maxKnownDirs = 1 << 16

// remember records whether dir exists with its group and mode.
func (w *accessFS) remember(dir string, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if ok {
		if len(w.dirs) >= maxKnownDirs {
			clear(w.dirs)
		}
		w.dirs[dir] = true
	} else {
		delete(w.dirs, dir)
	}
}

// MkdirAll implements [FS].
func (w *accessFS) MkdirAll(name string) error {
	if err := checkPath("mkdir", name); err != nil {
		return err
	}
	if _, _, err := w.a.of(name, true); err != nil {
		return &fs.PathError{Op: "mkdir", Path: name, Err: err}
	}
	if w.known(name) {
		fi, err := w.inner.Stat(name)
		if err == nil && fi.IsDir() {
			return nil
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return &fs.PathError{Op: "mkdir", Path: name, Err: UnwrapPath(err)}
		}
		w.remember(name, false) // removed behind our back: check every level
	}
	dir := "."
	elems := []string{"."}
	if name != "." {
		elems = append(elems, strings.Split(name, "/")...)
	}
	for i, elem := range elems {
		if i > 0 {
			dir = path.Join(dir, elem)
		}
		if w.known(dir) {
			continue
		}
		if err := w.mkdir(dir); err != nil {
			return &fs.PathError{Op: "mkdir", Path: dir, Err: UnwrapPath(err)}
		}
		w.remember(dir, true)
	}
	return nil
}

// mkdir creates dir, whose parent exists, unless it exists, and gives it
// its group and mode unless it has them.
func (w *accessFS) mkdir(dir string) error {
	group, perm, err := w.a.of(dir, true)
	if err != nil {
		return err
	}
	fi, err := w.inner.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := w.inner.MkdirAll(dir); err != nil {
			return err
		}
		// Group first: on a local filesystem only a member of the group
		// keeps the set-group-ID bit that Chmod gives a directory.
		if group != "" {
			if err := w.inner.Chgrp(dir, group); err != nil {
				return err
			}
		}
		return w.inner.Chmod(dir, perm)
	case err != nil:
		return err
	case !fi.IsDir():
		return errors.New("not a directory")
	}
	if g, ok := fileGroup(fi); group != "" && ok && g != group {
		if err := w.inner.Chgrp(dir, group); err != nil {
			return err
		}
		return w.inner.Chmod(dir, perm)
	}
	if fi.Mode().Perm() != perm || isLocal(fi) && fi.Mode()&fs.ModeSetgid == 0 {
		return w.inner.Chmod(dir, perm)
	}
	return nil
}

// fileGroup returns the group of a file described by an FS's Stat, when
// the filesystem tells it.
func fileGroup(fi fs.FileInfo) (string, bool) {
	switch st := fi.Sys().(type) {
	case *syscall.Stat_t:
		g, err := user.LookupGroupId(strconv.FormatUint(uint64(st.Gid), 10))
		if err != nil {
			return "", false
		}
		return g.Name, true
	}
	if hfi, ok := fi.(*hdfs.FileInfo); ok {
		return hfi.OwnerGroup(), true
	}
	return "", false
}

// isLocal reports whether fi describes a file of the local filesystem.
func isLocal(fi fs.FileInfo) bool {
	_, ok := fi.Sys().(*syscall.Stat_t)
	return ok
}

// ProbePrefix starts the names of the directories [Access.Check] creates,
// and removes, in ControlDir. A topic's directory never has it: Kafka
// topic names hold no '+'.
const ProbePrefix = ".access+probe-"

// Check proves, once, that fsys's user may give every group a names (the
// firm's group, when set, and each tenant's): for each group it creates a
// directory under ControlDir/<ProbePrefix><n> and gives it the group, then
// removes them all. A group the user may not give (on HDFS: one it is not a
// member of) fails with a single error naming every such group and its
// tenants, wrapping fs.ErrPermission; any other error stops the check.
// fsys is the lake without WithAccess. Without tenants Check does nothing.
func (a Access) Check(fsys FS) error {
	if !a.HasTenants() {
		return nil
	}
	// ControlDir itself as WithAccess makes it, so the probe never leaves
	// it with another group or mode.
	if err := WithAccess(fsys, a).MkdirAll(ControlDir); err != nil {
		return fmt.Errorf("check lake access: %w", err)
	}
	tenantsOf := map[string][]string{}
	for t, g := range a.tenants {
		tenantsOf[g] = append(tenantsOf[g], t)
	}
	if a.group != "" {
		tenantsOf[a.group] = append(tenantsOf[a.group], "")
	}
	groups := slices.Sorted(maps.Keys(tenantsOf))
	probe := path.Join(ControlDir, fmt.Sprintf("%s%d-%d", ProbePrefix, os.Getpid(), time.Now().UnixNano()))
	var refused []string
	err := func() error {
		for i, g := range groups {
			dir := path.Join(probe, strconv.Itoa(i))
			if err := fsys.MkdirAll(dir); err != nil {
				return err
			}
			err := fsys.Chgrp(dir, g)
			switch {
			case errors.Is(err, fs.ErrPermission):
				refused = append(refused, fmt.Sprintf("%q (%s)", g, whose(tenantsOf[g])))
			case err != nil:
				return err
			}
		}
		return nil
	}()
	if rerr := fsys.RemoveAll(probe); rerr != nil {
		err = errors.Join(err, rerr)
	}
	if err != nil {
		return fmt.Errorf("check lake access: %w", err)
	}
	if len(refused) > 0 {
		return fmt.Errorf("check lake access: %w: landerd's user may not give its data these groups, of which it must be a member: %s",
			fs.ErrPermission, strings.Join(refused, ", "))
	}
	return nil
}

// whose describes who owns a group: "hdfs.group" for the firm ("") and
// the tenants.
func whose(tenants []string) string {
	slices.Sort(tenants)
	var out []string
	for _, t := range tenants {
		if t == "" {
			out = append(out, "the firm's group")
			continue
		}
		out = append(out, "tenant "+t)
	}
	return strings.Join(out, ", ")
}
