package iceio

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"

	iceio "github.com/apache/iceberg-go/io"

	"github.com/landerd/landerd/pkg/sink"
)

// Scheme is the URL scheme this package serves.
const Scheme = "hdfs"

// registry is the process's open HDFS lakes, by NameNode address.
var registry struct {
	once sync.Once
	err  error // of registering the scheme with iceberg-go

	mu    sync.Mutex
	seq   uint64
	lakes []*entry // in registration order
}

// entry is one registered lake.
type entry struct {
	id   uint64
	host string // lowercase host:port
	root string // absolute, cleaned
	fsys sink.ReadFS
}

// Register makes lake, an HDFS lake whose String is its hdfs://host:port/root
// URL, the filesystem of every hdfs:// URL under its root, until the
// returned func unregisters it. Registering the same root twice is
// allowed: a lake that lands serves before one that only reads, and
// otherwise the later registration serves until it is unregistered.
func Register(lake sink.ReadFS) (unregister func(), err error) {
	host, root, err := split(lake.String())
	if err != nil {
		return nil, fmt.Errorf("register iceberg io for %s: %w", lake, err)
	}
	registry.once.Do(func() {
		if slices.Contains(iceio.GetRegisteredSchemes(), Scheme) {
			registry.err = fmt.Errorf("iceberg io scheme %q is already registered by another package", Scheme)
			return
		}
		iceio.Register(Scheme, factory)
	})
	if registry.err != nil {
		return nil, registry.err
	}
	registry.mu.Lock()
	registry.seq++
	e := &entry{id: registry.seq, host: host, root: root, fsys: lake}
	registry.lakes = append(registry.lakes, e)
	registry.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			registry.mu.Lock()
			defer registry.mu.Unlock()
			registry.lakes = slices.DeleteFunc(registry.lakes, func(x *entry) bool { return x.id == e.id })
		})
	}, nil
}

// split returns the host and cleaned absolute path of an hdfs:// URL.
func split(raw string) (host, p string, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", err
	}
	if u.Scheme != Scheme || u.Host == "" || !path.IsAbs(u.Path) {
		return "", "", fmt.Errorf("%q is not an hdfs://host:port/abs/path URL", raw)
	}
	return strings.ToLower(u.Host), path.Clean(u.Path), nil
}

// within reports whether p lies in root or is root.
func within(p, root string) bool {
	return p == root || root == "/" || strings.HasPrefix(p, root+"/")
}

// lookup returns the lake serving host and p: of the roots holding p the
// deepest; of those one that writes (a lake that lands) before one that
// only reads (a report's, in the same process), so that a reader opened
// beside a writer never takes the writer's commits; and of those the
// latest registered.
func lookup(host, p string) *entry {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	var best *entry
	for _, e := range registry.lakes {
		if e.host != host || !within(p, e.root) {
			continue
		}
		if best == nil || len(e.root) > len(best.root) ||
			len(e.root) == len(best.root) && (e.writes() || !best.writes()) {
			best = e
		}
	}
	return best
}

// writes reports whether the lake lands.
func (e *entry) writes() bool {
	_, ok := e.fsys.(sink.FS)
	return ok
}

// factory is the io.SchemeFactory of hdfs:// locations.
func factory(_ context.Context, u *url.URL, _ map[string]string) (iceio.IO, error) {
	host, p := strings.ToLower(u.Host), path.Clean("/"+u.Path)
	e := lookup(host, p)
	if e == nil {
		return nil, fmt.Errorf("iceberg io: no landerd lake open for hdfs://%s%s", u.Host, p)
	}
	w, err := New(e.fsys)
	if err != nil {
		return nil, err
	}
	return w, nil
}
