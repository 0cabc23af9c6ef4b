package deploy

import (
	"net/url"
	"os"
	"os/exec"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/landerd/landerd/internal/config"
)

// composeFile is the part of a Compose file the checks read.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Build       any               `yaml:"build"`
	Hostname    string            `yaml:"hostname"`
	Command     []string          `yaml:"command"`
	Entrypoint  []string          `yaml:"entrypoint"`
	Environment map[string]string `yaml:"environment"`
	EnvFile     string            `yaml:"env_file"`
	Volumes     []yaml.Node       `yaml:"volumes"`
	Profiles    []string          `yaml:"profiles"`
	Deploy      struct {
		Replicas int `yaml:"replicas"`
	} `yaml:"deploy"`
	StopGracePeriod string    `yaml:"stop_grace_period"`
	DependsOn       yaml.Node `yaml:"depends_on"`
	Healthcheck     *struct {
		Test    []string `yaml:"test"`
		Disable bool     `yaml:"disable"`
	} `yaml:"healthcheck"`
}

// mount is one volume of a service: a bind mount of a repository path
// (source starting with ./) or a named volume.
type mount struct{ source, target string }

func (s composeService) mounts(t *testing.T) []mount {
	t.Helper()
	var out []mount
	for _, n := range s.Volumes {
		switch n.Kind {
		case yaml.ScalarNode:
			parts := strings.Split(n.Value, ":")
			if len(parts) < 2 {
				t.Fatalf("volume %q has no target", n.Value)
			}
			out = append(out, mount{parts[0], parts[1]})
		case yaml.MappingNode:
			var m struct{ Source, Target string }
			if err := n.Decode(&m); err != nil {
				t.Fatal(err)
			}
			out = append(out, mount{m.Source, m.Target})
		}
	}
	return out
}

// mountOf returns the source mounted at target, or "".
func (s composeService) mountOf(t *testing.T, target string) string {
	for _, m := range s.mounts(t) {
		if m.target == target {
			return m.source
		}
	}
	return ""
}

// flagValue returns the value after flag in args, or "".
func flagValue(args []string, flag string) string {
	if i := slices.Index(args, flag); i >= 0 && i+1 < len(args) {
		return args[i+1]
	}
	return ""
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	var f composeFile
	if err := yaml.Unmarshal(readRepoFile(t, "docker-compose.yml"), &f); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return f
}

// TestComposeSystem checks that docker-compose.yml brings up the whole
// system and that its services, the configs they mount and landerd's
// configuration agree with each other.
func TestComposeSystem(t *testing.T) {
	f := loadCompose(t)
	svc := func(name string) composeService {
		t.Helper()
		s, ok := f.Services[name]
		if !ok {
			t.Fatalf("docker-compose.yml has no %s service", name)
		}
		return s
	}
	lander := svc("landerd")
	cfgPath := lander.mountOf(t, "/etc/landerd/landerd.yaml")
	if cfgPath == "" || flagValue(lander.Command, "--config") != "/etc/landerd/landerd.yaml" {
		t.Fatalf("landerd must run with --config /etc/landerd/landerd.yaml mounted from deploy/; command %q, mounts %v", lander.Command, lander.mounts(t))
	}
	cfg, err := config.Load(repoFile(t, cfgPath), nil)
	if err != nil {
		t.Fatalf("landerd's config loader rejects %s:\n%v", cfgPath, err)
	}

	t.Run("images pinned", func(t *testing.T) {
		for name, s := range f.Services {
			if s.Image == "" {
				t.Errorf("%s: no image", name)
				continue
			}
			i := strings.LastIndexByte(s.Image, ':')
			if i < 0 || strings.Contains(s.Image[i:], "/") {
				t.Errorf("%s: image %q has no version tag", name, s.Image)
				continue
			}
			tag := s.Image[i+1:]
			if s.Build == nil && (tag == "latest" || !strings.ContainsAny(tag, "0123456789")) {
				t.Errorf("%s: image %q is not pinned to a version", name, s.Image)
			}
		}
	})

	t.Run("kafka in KRaft mode", func(t *testing.T) {
		k := svc("kafka")
		for name, s := range f.Services {
			if strings.Contains(s.Image, "zookeeper") {
				t.Errorf("service %s runs ZooKeeper", name)
			}
		}
		if !strings.Contains(k.Environment["KAFKA_PROCESS_ROLES"], "controller") || k.Environment["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "" {
			t.Errorf("kafka is not its own KRaft controller: %v", k.Environment)
		}
		advertised := k.Environment["KAFKA_ADVERTISED_LISTENERS"]
		for _, b := range cfg.Kafka.Brokers {
			if !strings.Contains(advertised, "://"+b) {
				t.Errorf("landerd's broker %s is not among kafka's advertised listeners %q", b, advertised)
			}
		}
		init := svc("kafka-init")
		if got := flagValue(init.Command, "--topic"); got != cfg.Kafka.Topic {
			t.Errorf("kafka-init creates topic %q, landerd reads %q", got, cfg.Kafka.Topic)
		}
		if got := flagValue(init.Command, "--partitions"); got != strconv.Itoa(topicPartitions) {
			t.Errorf("kafka-init creates %s partitions, want %d (the autoscaler's cap)", got, topicPartitions)
		}
		pub := svc("produce")
		if pub.Command[0] != "produce" || flagValue(pub.Command, "--topic") != cfg.Kafka.Topic ||
			flagValue(pub.Command, "--brokers") != strings.Join(cfg.Kafka.Brokers, ",") {
			t.Errorf("produce command %q does not produce to landerd's brokers and topic", pub.Command)
		}
		if pub.mountOf(t, flagValue(pub.Command, "--file")) == "" {
			t.Errorf("produce reads %s, which is not mounted", flagValue(pub.Command, "--file"))
		}
	})

	t.Run("landerd on HDFS", func(t *testing.T) {
		if lander.Deploy.Replicas != 2 {
			t.Errorf("landerd replicas %d, want 2", lander.Deploy.Replicas)
		}
		if grace := composeDuration(t, lander.StopGracePeriod); grace <= cfg.Shutdown.Deadline {
			t.Errorf("stop_grace_period %s must exceed shutdown.deadline %s", grace, cfg.Shutdown.Deadline)
		}
		u, err := url.Parse(cfg.Lake.URL)
		if err != nil || u.Scheme != "hdfs" {
			t.Fatalf("lake.url %q is not an hdfs:// URL", cfg.Lake.URL)
		}
		if nn := svc("namenode"); u.Hostname() != nn.Hostname || !slices.Equal(nn.Command, []string{"hdfs", "namenode"}) {
			t.Errorf("lake.url names host %s; the namenode service is %q running %q", u.Hostname(), nn.Hostname, nn.Command)
		}
		if dn := svc("datanode"); !slices.Equal(dn.Command, []string{"hdfs", "datanode"}) {
			t.Errorf("datanode runs %q", dn.Command)
		}
		// hdfs-init hands the lake's root to the user landerd acts as.
		script := strings.Join(svc("hdfs-init").Command, " ")
		for _, want := range []string{"-mkdir -p " + u.Path, "-chown -R " + cfg.HDFS.User + ":" + cfg.HDFS.User + " " + u.Path} {
			if !strings.Contains(script, want) {
				t.Errorf("hdfs-init does not run %q: %s", want, script)
			}
		}
		hadoopEnv := string(readRepoFile(t, svc("namenode").EnvFile))
		if !strings.Contains(hadoopEnv, "fs.defaultFS=hdfs://"+u.Host+"\n") {
			t.Errorf("%s does not make %s the default file system", svc("namenode").EnvFile, u.Host)
		}
	})

	t.Run("prometheus and grafana", func(t *testing.T) {
		var prom struct {
			ScrapeConfigs []struct {
				JobName      string `yaml:"job_name"`
				DNSSDConfigs []struct {
					Names []string `yaml:"names"`
					Type  string   `yaml:"type"`
					Port  int      `yaml:"port"`
				} `yaml:"dns_sd_configs"`
			} `yaml:"scrape_configs"`
		}
		src := svc("prometheus").mountOf(t, "/etc/prometheus/prometheus.yml")
		if err := yaml.Unmarshal(readRepoFile(t, src), &prom); err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		var scraped bool
		for _, sc := range prom.ScrapeConfigs {
			for _, d := range sc.DNSSDConfigs {
				if slices.Contains(d.Names, "landerd") && d.Port == listenPort(t, cfg.Metrics.Addr) {
					scraped = true
				}
			}
		}
		if !scraped {
			t.Errorf("%s does not scrape every landerd replica on the metrics port %s", src, cfg.Metrics.Addr)
		}

		g := svc("grafana")
		if g.mountOf(t, "/etc/grafana/provisioning") != "./deploy/grafana/provisioning" {
			t.Errorf("grafana does not mount deploy/grafana/provisioning: %v", g.mounts(t))
		}
		var provider struct {
			Providers []struct {
				Options struct {
					Path string `yaml:"path"`
				} `yaml:"options"`
			} `yaml:"providers"`
		}
		if err := yaml.Unmarshal(readRepoFile(t, "deploy/grafana/provisioning/dashboards/landerd.yaml"), &provider); err != nil || len(provider.Providers) != 1 {
			t.Fatalf("dashboard provider: %v", err)
		}
		dash := path.Join(provider.Providers[0].Options.Path, "landerd.json")
		if g.mountOf(t, dash) != "./deploy/grafana/landerd.json" {
			t.Errorf("grafana does not mount the dashboard at the provisioned path %s: %v", dash, g.mounts(t))
		}
		ds := string(readRepoFile(t, "deploy/grafana/provisioning/datasources/prometheus.yaml"))
		if !strings.Contains(ds, "url: http://prometheus:9090") {
			t.Error("the Grafana data source does not point at the prometheus service")
		}
	})

	t.Run("trino reads the lake", func(t *testing.T) {
		tr := svc("trino")
		catalog := tr.mountOf(t, "/etc/trino/catalog/hive.properties")
		props := string(readRepoFile(t, catalog))
		u, _ := url.Parse(cfg.Lake.URL)
		for _, want := range []string{"connector.name=hive\n", "fs.hadoop.enabled=true\n", "hive.metastore=file\n", "hive.metastore.catalog.dir=hdfs://" + u.Host + "/"} {
			if !strings.Contains(props, want) {
				t.Errorf("%s lacks %q", catalog, strings.TrimSpace(want))
			}
		}
		q := svc("query")
		if q.Image != tr.Image || q.mountOf(t, "/sql") != "./sql/trino" {
			t.Errorf("query must run %s with sql/trino mounted at /sql", tr.Image)
		}
		script := string(readRepoFile(t, q.mountOf(t, q.Entrypoint[len(q.Entrypoint)-1])))
		if !strings.Contains(script, "lake=${LAKE_URL:-"+cfg.Lake.URL+"}") {
			t.Errorf("the query script does not default to the lake %s", cfg.Lake.URL)
		}
	})

	t.Run("landerd on Iceberg", func(t *testing.T) {
		li := svc("landerd-iceberg")
		cfgPath := li.mountOf(t, "/etc/landerd/landerd.yaml")
		if cfgPath == "" || flagValue(li.Command, "--config") != "/etc/landerd/landerd.yaml" {
			t.Fatalf("landerd-iceberg must run with --config /etc/landerd/landerd.yaml mounted from deploy/; command %q, mounts %v", li.Command, li.mounts(t))
		}
		// The catalog password reaches landerd, PostgreSQL and Trino from
		// one variable, never from a file in clear.
		const passwordVar = "LANDERD_ICEBERG_CATALOG_PASSWORD"
		pg, tr := svc("postgres"), svc("trino")
		password := li.Environment[passwordVar]
		if !strings.HasPrefix(password, "${"+passwordVar+":-") && password != "${"+passwordVar+"}" {
			t.Errorf("landerd-iceberg's %s is %q, want it from the environment: ${%s} or ${%s:-dev default}", passwordVar, password, passwordVar, passwordVar)
		}
		if pg.Environment["POSTGRES_PASSWORD"] != password || tr.Environment[passwordVar] != password {
			t.Errorf("the catalog password differs: landerd-iceberg %q, postgres POSTGRES_PASSWORD %q, trino %s %q",
				password, pg.Environment["POSTGRES_PASSWORD"], passwordVar, tr.Environment[passwordVar])
		}
		inFile, err := config.Load(repoFile(t, cfgPath), nil)
		if err != nil {
			t.Fatalf("landerd's config loader rejects %s:\n%v", cfgPath, err)
		}
		if inFile.Lake.Iceberg.Catalog.Password != "" {
			t.Errorf("%s holds the catalog password; it must come from %s", cfgPath, passwordVar)
		}
		icfg, err := config.Load(repoFile(t, cfgPath), func(k string) (string, bool) {
			return "from-the-environment", k == passwordVar
		})
		if err == nil {
			err = icfg.Validate()
		}
		if err != nil {
			t.Fatalf("%s with %s set: %v", cfgPath, passwordVar, err)
		}
		cat := icfg.Lake.Iceberg.Catalog
		if icfg.Lake.Format != config.FormatIceberg || cat.Type != config.CatalogSQL || cat.Password.Value() != "from-the-environment" {
			t.Errorf("%s: lake.format %q, catalog type %q, password from %s %v; want iceberg on a sql catalog",
				cfgPath, icfg.Lake.Format, cat.Type, passwordVar, cat.Password.Value() != "")
		}
		if icfg.Kafka.Topic != cfg.Kafka.Topic || !slices.Equal(icfg.Kafka.Brokers, cfg.Kafka.Brokers) || icfg.Kafka.Group == cfg.Kafka.Group {
			t.Errorf("landerd-iceberg reads %q from %v in group %q; want the HDFS replicas' topic and brokers in a group of its own (theirs is %q)",
				icfg.Kafka.Topic, icfg.Kafka.Brokers, icfg.Kafka.Group, cfg.Kafka.Group)
		}
		if grace := composeDuration(t, li.StopGracePeriod); grace <= icfg.Shutdown.Deadline {
			t.Errorf("landerd-iceberg's stop_grace_period %s must exceed shutdown.deadline %s", grace, icfg.Shutdown.Deadline)
		}

		// The catalog is the postgres service's database, as its user.
		u, err := url.Parse(cat.URI)
		if err != nil {
			t.Fatalf("lake.iceberg.catalog.uri: %v", err)
		}
		db := strings.TrimPrefix(u.Path, "/")
		if _, ok := f.Services[u.Hostname()]; !ok || u.Hostname() != "postgres" {
			t.Errorf("the catalog URI names host %s, not the postgres service", u.Hostname())
		}
		if u.User.Username() != pg.Environment["POSTGRES_USER"] || db != pg.Environment["POSTGRES_DB"] {
			t.Errorf("the catalog URI is %s@%s; postgres creates %s@%s", u.User.Username(), db, pg.Environment["POSTGRES_USER"], pg.Environment["POSTGRES_DB"])
		}

		// The lake is a named volume, writable by the image's user (the
		// init service hands it over), at the same path in Trino, which
		// reads the tables' file:// locations as they are.
		lake := icfg.Lake.URL
		vol := li.mountOf(t, lake)
		if vol == "" || strings.HasPrefix(vol, ".") || strings.HasPrefix(vol, "/") {
			t.Fatalf("lake.url %s is not a named volume of landerd-iceberg: %v", lake, li.mounts(t))
		}
		if got := tr.mountOf(t, lake); got != vol {
			t.Errorf("trino mounts %q at %s; want landerd-iceberg's volume %s", got, lake, vol)
		}
		init := svc("iceberg-lake-init")
		if init.mountOf(t, lake) != vol || !strings.Contains(strings.Join(init.Entrypoint, " "), "chown -R 65532:65532 "+lake) ||
			!strings.Contains(string(readRepoFile(t, "Dockerfile")), "USER 65532:65532") {
			t.Errorf("iceberg-lake-init does not hand %s (volume %s) to the image's user 65532: %q", lake, vol, init.Entrypoint)
		}

		// Trino's landerd catalog reads the same catalog rows.
		catalog := tr.mountOf(t, "/etc/trino/catalog/landerd.properties")
		props := properties(t, catalog)
		port := u.Port()
		if port == "" {
			port = "5432"
		}
		want := map[string]string{
			"connector.name":                           "iceberg",
			"iceberg.catalog.type":                     "jdbc",
			"iceberg.jdbc-catalog.driver-class":        "org.postgresql.Driver",
			"iceberg.jdbc-catalog.connection-url":      "jdbc:postgresql://" + u.Hostname() + ":" + port + "/" + db,
			"iceberg.jdbc-catalog.connection-user":     u.User.Username(),
			"iceberg.jdbc-catalog.connection-password": "${ENV:" + passwordVar + "}",
			// landerd registers its tables under the catalog name landerd
			// (internal/icetable), which a JDBC reader must repeat.
			"iceberg.jdbc-catalog.catalog-name": "landerd",
			"fs.native-local.enabled":           "true",
		}
		for k, v := range want {
			if props[k] != v {
				t.Errorf("%s: %s=%q, want %q", catalog, k, props[k], v)
			}
		}
		if loc := props["local.location"]; loc == "" || !strings.HasPrefix(lake, loc) {
			t.Errorf("%s: local.location=%q does not contain the lake %s", catalog, loc, lake)
		}
	})

	t.Run("health conditions", func(t *testing.T) {
		// A service_healthy dependency needs a health check: one in the
		// compose file, or the landerd image's HEALTHCHECK.
		for name, s := range f.Services {
			if s.DependsOn.Kind != yaml.MappingNode {
				continue
			}
			var deps map[string]struct {
				Condition string `yaml:"condition"`
			}
			if err := s.DependsOn.Decode(&deps); err != nil {
				t.Fatalf("%s depends_on: %v", name, err)
			}
			for dep, c := range deps {
				d, ok := f.Services[dep]
				switch {
				case !ok:
					t.Errorf("%s depends on %s, which is not a service", name, dep)
				case c.Condition != "service_healthy":
				case d.Healthcheck != nil && !d.Healthcheck.Disable && len(d.Healthcheck.Test) > 0:
				case d.Healthcheck == nil && d.Build != nil:
				default:
					t.Errorf("%s waits for %s to be healthy, but %s has no health check", name, dep, dep)
				}
			}
		}
	})

	t.Run("mounted files exist", func(t *testing.T) {
		for _, s := range f.Services {
			for _, m := range s.mounts(t) {
				if strings.HasPrefix(m.source, "./") {
					repoFile(t, m.source)
				}
			}
			if s.EnvFile != "" {
				repoFile(t, s.EnvFile)
			}
		}
	})
}

// TestComposeCLI validates docker-compose.yml with the Compose CLI's own
// schema check (`config -q`, which needs no Docker engine), when a Compose
// CLI is installed; scripts/deploy/install.sh installs one.
func TestComposeCLI(t *testing.T) {
	var cmd *exec.Cmd
	switch {
	case exec.Command("docker", "compose", "version").Run() == nil:
		cmd = exec.Command("docker", "compose", "-f", "docker-compose.yml", "config", "-q")
	case func() bool { _, err := exec.LookPath("docker-compose"); return err == nil }():
		cmd = exec.Command("docker-compose", "-f", "docker-compose.yml", "config", "-q")
	default:
		t.Skip("no Compose CLI (docker compose or docker-compose): the compose file was checked only by TestComposeSystem; run scripts/deploy/install.sh")
	}
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "LANDERD_SAMPLE_FILE=./README.md")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
}

// properties reads a Java properties file of key=value lines (no
// continuations), skipping comments and blank lines.
func properties(t *testing.T, rel string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for line := range strings.Lines(string(readRepoFile(t, rel))) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: %q is not key=value", rel, line)
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out
}
