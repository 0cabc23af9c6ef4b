package lake

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/pkg/sink"
)

// ErrConfig is matched by the errors of a lake the configuration names
// wrongly or that this build cannot open. They are the configuration's
// fault, not the lake's: landerd exits 2 on one.
var ErrConfig = errors.New("lake configuration")

// configError is an error of the configuration: it reads as err and
// matches ErrConfig.
type configError struct{ err error }

func (e configError) Error() string        { return e.err.Error() }
func (e configError) Unwrap() error        { return e.err }
func (e configError) Is(target error) bool { return target == ErrConfig }

// configErrorf formats a configError.
func configErrorf(format string, args ...any) error {
	return configError{fmt.Errorf(format, args...)}
}

// Option configures Open.
type Option func(*options)

type options struct {
	wrap func(sink.FS) (sink.FS, error)
}

// WithWrap has Open wrap the lake's filesystem with wrap before anything
// lands through it, as a test build wraps it in a fault injector. The
// tenancy guard goes around the wrapped filesystem, but its start-up
// check runs on the plain one, so that it makes none of the calls a
// wrapper counts. An error of wrap is Open's.
func WithWrap(wrap func(sink.FS) (sink.FS, error)) Option {
	return func(o *options) { o.wrap = wrap }
}

// FS is a lake open for landing.
type FS struct {
	// FS is the lake to land through: wrapped as WithWrap says, and
	// guarded when tenancy is on.
	sink.FS
	plain sink.FS // the filesystem as opened, which Close closes
}

// Close closes the lake's connections: an HDFS lake's client. A local
// lake holds none.
func (l *FS) Close() error { return closeFS(l.plain) }

var _ sink.RenameNoReplaceFS = (*FS)(nil)

// RenameNoReplace implements [sink.RenameNoReplaceFS] with the plain
// filesystem's, past any wrapper: the Iceberg hadoop catalog's commit on
// HDFS (tenancy, which would guard it, is refused with Iceberg). A
// filesystem without one fails with errors.ErrUnsupported.
func (l *FS) RenameNoReplace(from, to string) error {
	nr, ok := l.plain.(sink.RenameNoReplaceFS)
	if !ok {
		return &fs.PathError{Op: "rename", Path: from, Err: fmt.Errorf("%w: %s cannot rename without replacing", errors.ErrUnsupported, l.plain)}
	}
	return nr.RenameNoReplace(from, to)
}

// Open opens the lake of cfg for landing: the directory lake.url names,
// created when missing, on the local filesystem or on HDFS, wrapped as
// WithWrap says.
//
// With tenancy on it gives everything landerd creates in the lake the
// group and mode docs/tenants.md prescribes (sink.WithAccess): each
// tenant's data its tenant's group, the rest hdfs.group's (on HDFS).
// Before it returns, before any record is read, it checks that every
// tenant's group exists (on a local lake) and that landerd's user may
// give each group (sink.Access.Check: a probe directory per group under
// _landerd), and fails naming every group it may not give.
func Open(cfg config.Config, opts ...Option) (*FS, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	plain, err := openPlain(cfg)
	if err != nil {
		return nil, err
	}
	wrapped := plain
	if o.wrap != nil {
		if wrapped, err = o.wrap(plain); err != nil {
			return nil, errors.Join(err, closeFS(plain))
		}
	}
	guarded, err := guard(cfg, wrapped, plain)
	if err != nil {
		return nil, errors.Join(err, closeFS(plain))
	}
	return &FS{FS: guarded, plain: plain}, nil
}

// openPlain opens the lake's filesystem named by lake.url.
func openPlain(cfg config.Config) (sink.FS, error) {
	loc, err := cfg.Lake.Location()
	if err != nil {
		return nil, configError{err}
	}
	switch loc.Scheme {
	case config.SchemeFile:
		if err := os.MkdirAll(loc.Path, 0o755); err != nil {
			return nil, fmt.Errorf("open lake: %w", err)
		}
		local, err := sink.NewLocal(loc.Path)
		if err != nil {
			return nil, fmt.Errorf("open lake: %w", err)
		}
		return local, nil
	case config.SchemeHDFS:
		return openHDFS(cfg.HDFS, loc)
	default:
		return nil, configErrorf("lake %s: scheme %q is not supported by this build", cfg.Lake.URL, loc.Scheme)
	}
}

// guard returns lake guarded by the tenancy's groups, as Open describes,
// or lake as it is without tenancy. The check probes plain, the lake
// without WithWrap's wrapper.
func guard(cfg config.Config, lake, plain sink.FS) (sink.FS, error) {
	if !cfg.Tenancy.Enabled() {
		return lake, nil
	}
	loc, err := cfg.Lake.Location()
	if err != nil {
		return nil, configError{err}
	}
	groups := make(map[string]string, len(cfg.Tenancy.Tenants))
	var missing []error
	for _, t := range cfg.Tenancy.Tenants {
		groups[t.Name] = t.Group
		if loc.Scheme == config.SchemeFile {
			if _, err := user.LookupGroup(t.Group); err != nil {
				missing = append(missing, fmt.Errorf("tenancy.tenants %s: group %q: %w", t.Name, t.Group, err))
			}
		}
	}
	if err := errors.Join(missing...); err != nil {
		return nil, configErrorf("local lake %s: %w", loc.Path, err)
	}
	firm := ""
	if loc.Scheme == config.SchemeHDFS {
		firm = cfg.HDFS.Group
	}
	access, err := sink.NewAccess(firm, groups)
	if err != nil {
		return nil, configError{err}
	}
	if err := access.Check(plain); err != nil {
		return nil, fmt.Errorf("lake %s: %w", lake, err)
	}
	return sink.WithAccess(lake, access), nil
}

// closeFS closes a lake's filesystem when it holds connections.
func closeFS(fsys any) error {
	if c, ok := fsys.(io.Closer); ok {
		return c.Close()
	}
	return nil
}
