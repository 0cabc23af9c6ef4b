package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// Lake URL schemes.
const (
	SchemeFile = "file"
	SchemeHDFS = "hdfs"
)

// DefaultNamenodePort is the port used for an hdfs:// URL without one.
const DefaultNamenodePort = "8020"

// Location is a parsed Lake.URL.
type Location struct {
	// Scheme is SchemeFile or SchemeHDFS.
	Scheme string
	// Host is the namenode's host:port for SchemeHDFS (the port defaults to
	// DefaultNamenodePort) and empty for SchemeFile.
	Host string
	// Path is the lake root: cleaned, absolute for SchemeHDFS, and as
	// written (possibly relative to the working directory) for a plain
	// local path.
	Path string
}

// IsHDFS reports whether the URL names an HDFS lake. It looks only at the
// scheme, so it answers even for a URL that Location rejects.
func (l Lake) IsHDFS() bool {
	return strings.EqualFold(scheme(l.URL), SchemeHDFS)
}

// scheme returns the URL scheme s starts with, or "" when s is a plain
// path: a scheme is a letter followed by letters, digits, '+', '-' or '.',
// then a colon.
func scheme(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return s[:i]
		default:
			return ""
		}
	}
	return ""
}

// Location parses URL: a plain local path ("./lake", "/data/lake"),
// file:///abs/path, or hdfs://host[:port]/abs/path.
func (l Lake) Location() (Location, error) {
	raw := l.URL
	if raw == "" {
		return Location{}, errors.New("must not be empty")
	}
	if scheme(raw) == "" {
		return Location{Scheme: SchemeFile, Path: filepath.Clean(raw)}, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Location{}, fmt.Errorf("invalid URL %q: %w", raw, err)
	}
	if u.User != nil {
		return Location{}, fmt.Errorf("%q: must not contain user information (set hdfs.user)", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return Location{}, fmt.Errorf("%q: must not have a query or fragment", raw)
	}
	switch u.Scheme {
	case SchemeFile:
		if u.Host != "" {
			return Location{}, fmt.Errorf("%q: a file URL takes no host (write file:///abs/path)", raw)
		}
		if !path.IsAbs(u.Path) {
			return Location{}, fmt.Errorf("%q: a file URL needs an absolute path (write file:///abs/path)", raw)
		}
		return Location{Scheme: SchemeFile, Path: filepath.Clean(u.Path)}, nil
	case SchemeHDFS:
		host := u.Host
		if u.Hostname() == "" {
			return Location{}, fmt.Errorf("%q: an hdfs URL needs a namenode host (hdfs://host:port/path)", raw)
		}
		if u.Port() == "" {
			if strings.HasSuffix(host, ":") {
				return Location{}, fmt.Errorf("%q: empty port", raw)
			}
			host = net.JoinHostPort(u.Hostname(), DefaultNamenodePort)
		} else if p, err := strconv.Atoi(u.Port()); err != nil || p < 1 || p > 65535 {
			return Location{}, fmt.Errorf("%q: port must be 1-65535", raw)
		}
		if !path.IsAbs(u.Path) {
			return Location{}, fmt.Errorf("%q: an hdfs URL needs an absolute path (hdfs://host:port/path)", raw)
		}
		return Location{Scheme: SchemeHDFS, Host: host, Path: path.Clean(u.Path)}, nil
	default:
		return Location{}, fmt.Errorf("%q: unsupported scheme %q (want a plain path, file:// or hdfs://)", raw, u.Scheme)
	}
}
