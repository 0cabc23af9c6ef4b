package lake

import (
	"errors"
	"fmt"
	"path"
	"strings"

	krbclient "github.com/jcmturner/gokrb5/v8/client"
	krbconfig "github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/keytab"

	"github.com/landerd/landerd/internal/config"
	"github.com/landerd/landerd/pkg/sink"
)

// openHDFS opens the HDFS lake at loc with the hdfs section of the
// configuration, logging in to Kerberos first when it is enabled.
func openHDFS(h config.HDFS, loc config.Location) (*sink.HDFS, error) {
	opts := sink.HDFSOptions{
		User:        h.User,
		CallTimeout: h.CallTimeout,
		Replication: h.Replication,
		BlockSize:   int64(h.BlockSize),
		Group:       h.Group,
	}
	umask, err := h.UmaskBits()
	if err != nil {
		return nil, fmt.Errorf("open lake: hdfs.umask: %w", err)
	}
	opts.Umask = &umask
	if h.Kerberos.Enabled {
		kc, err := kerberosLogin(h.Kerberos)
		if err != nil {
			return nil, fmt.Errorf("open lake: %w", err)
		}
		opts.KerberosClient = kc
		opts.KerberosServicePrincipalName = h.Kerberos.ServicePrincipalName
	}
	lake, err := sink.NewHDFS("hdfs://"+loc.Host+loc.Path, opts)
	if err != nil {
		return nil, fmt.Errorf("open lake: %w", err)
	}
	return lake, nil
}

// openHDFSReadOnly opens the HDFS lake at loc for reading only: it
// connects at the filesystem's root, which exists, with hdfs.group left
// out, so that opening creates nothing and changes no group (sink.NewHDFS
// creates its root when missing and gives it hdfs.group), then checks that
// the lake root is a directory.
func openHDFSReadOnly(h config.HDFS, loc config.Location) (*ReadOnlyFS, error) {
	h.Group = ""
	lakeRoot := path.Clean(loc.Path)
	top := loc
	top.Path = "/"
	fsys, err := openHDFS(h, top)
	if err != nil {
		return nil, err
	}
	l := &ReadOnlyFS{fsys: fsys, root: strings.TrimPrefix(lakeRoot, "/"), url: "hdfs://" + loc.Host + lakeRoot}
	if l.root == "" {
		l.root = "."
	}
	fi, err := fsys.Stat(l.root)
	if err == nil && !fi.IsDir() {
		err = errors.New("not a directory")
	}
	if err != nil {
		return nil, fmt.Errorf("open lake %s: %w", l.url, errors.Join(sink.UnwrapPath(err), fsys.Close()))
	}
	return l, nil
}

// kerberosLogin logs the configured principal in with its keytab.
func kerberosLogin(k config.Kerberos) (*krbclient.Client, error) {
	at := strings.LastIndex(k.Principal, "@")
	if at <= 0 || at == len(k.Principal)-1 {
		return nil, configErrorf("kerberos principal %q: want name[/instance]@REALM", k.Principal)
	}
	kt, err := keytab.Load(k.Keytab)
	if err != nil {
		return nil, fmt.Errorf("kerberos keytab %s: %w", k.Keytab, err)
	}
	conf, err := krbconfig.Load(k.Krb5Conf)
	if err != nil {
		return nil, fmt.Errorf("kerberos config %s: %w", k.Krb5Conf, err)
	}
	kc := krbclient.NewWithKeytab(k.Principal[:at], k.Principal[at+1:], kt, conf, krbclient.DisablePAFXFAST(true))
	if err := kc.Login(); err != nil {
		return nil, fmt.Errorf("kerberos login %s: %w", k.Principal, err)
	}
	return kc, nil
}
