package deploy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/url"
	"path"
	"slices"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd, args string
	line      int
}

// parseDockerfile splits a Dockerfile into instructions, dropping comments
// and parser directives.
func parseDockerfile(t *testing.T, data []byte) []instruction {
	t.Helper()
	var out []instruction
	var cur strings.Builder
	start := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if cur.Len() == 0 {
			start = n
		}
		if strings.HasPrefix(line, "#") {
			continue // a comment inside a continued instruction
		}
		if s, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{strings.ToUpper(cmd), strings.TrimSpace(args), start})
		cur.Reset()
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// execForm decodes an instruction's JSON (exec form) arguments, failing
// on shell form: the runtime image has no shell.
func execForm(t *testing.T, in instruction, args string) []string {
	t.Helper()
	var v []string
	if err := json.Unmarshal([]byte(args), &v); err != nil || len(v) == 0 {
		t.Errorf("line %d: %s %s: want the JSON exec form (the image has no shell)", in.line, in.cmd, args)
	}
	return v
}

// TestDockerfile checks the Dockerfile's key properties in the manner of
// hadolint (which cannot be installed here): a multi-stage build of a
// static, version-stamped binary; a pinned, non-root, shell-less runtime
// image; exec-form commands; and a HEALTHCHECK, ENTRYPOINT and default
// configuration that agree with landerd's own.
func TestDockerfile(t *testing.T) {
	ins := parseDockerfile(t, readRepoFile(t, "Dockerfile"))
	cfg := loadConfig(t, "landerd.yaml", readRepoFile(t, "configs/landerd.yaml"))

	// Global ARG defaults, for FROM lines that use them.
	globals := map[string]string{}
	var stages [][]instruction
	for _, in := range ins {
		if in.cmd == "FROM" {
			stages = append(stages, nil)
		}
		if len(stages) == 0 {
			if in.cmd == "ARG" {
				k, v, _ := strings.Cut(in.args, "=")
				globals[k] = v
			}
			continue
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], in)
	}
	if len(stages) < 2 {
		t.Fatalf("want a multi-stage build, got %d stage(s)", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]
	find := func(stage []instruction, cmd string) []instruction {
		var out []instruction
		for _, in := range stage {
			if in.cmd == cmd {
				out = append(out, in)
			}
		}
		return out
	}

	t.Run("base images pinned", func(t *testing.T) {
		for _, st := range stages {
			f := strings.Fields(st[0].args)
			image := ""
			for _, w := range f {
				if !strings.HasPrefix(w, "--") {
					image = w
					break
				}
			}
			for k, v := range globals {
				image = strings.ReplaceAll(image, "${"+k+"}", v)
			}
			i := strings.LastIndexByte(image, ':')
			if i < 0 || strings.Contains(image[i:], "/") || image[i+1:] == "latest" || strings.Contains(image, "$") {
				t.Errorf("line %d: base image %q has no pinned tag", st[0].line, image)
			}
		}
	})

	buildName := ""
	if f := strings.Fields(build[0].args); len(f) >= 3 && strings.EqualFold(f[len(f)-2], "AS") {
		buildName = f[len(f)-1]
	}

	t.Run("static version-stamped build", func(t *testing.T) {
		var goBuild string
		for _, in := range find(build, "RUN") {
			if strings.Contains(in.args, "go build") {
				goBuild = in.args
			}
		}
		for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-X main.version=${VERSION}", "./cmd/landerd"} {
			if !strings.Contains(goBuild, want) {
				t.Errorf("the go build step lacks %q: %s", want, goBuild)
			}
		}
		if !slices.ContainsFunc(find(build, "ARG"), func(in instruction) bool { return strings.HasPrefix(in.args, "VERSION") }) {
			t.Error("the build stage declares no ARG VERSION")
		}
		// -X only stamps a package-level string variable that exists.
		if !bytes.Contains(readRepoFile(t, "cmd/landerd/main.go"), []byte("\nvar version = \"dev\"\n")) {
			t.Error("cmd/landerd/main.go has no `var version = \"dev\"` for -X main.version")
		}
	})

	var binary string
	t.Run("runtime image", func(t *testing.T) {
		if !strings.Contains(final[0].args, "distroless/static") || !strings.HasSuffix(final[0].args, ":nonroot") {
			t.Errorf("final stage FROM %s, want distroless static :nonroot", final[0].args)
		}
		for _, in := range final {
			if in.cmd == "ADD" || in.cmd == "RUN" {
				t.Errorf("line %d: %s in the runtime stage (COPY only; it has no shell)", in.line, in.cmd)
			}
		}
		users := find(final, "USER")
		if len(users) == 0 {
			t.Fatal("the runtime stage sets no USER")
		}
		if u, _, _ := strings.Cut(users[len(users)-1].args, ":"); u == "0" || u == "root" {
			t.Errorf("runtime user %q is root", users[len(users)-1].args)
		}
		for _, in := range find(final, "COPY") {
			if buildName != "" && strings.Contains(in.args, "--from="+buildName) {
				f := strings.Fields(in.args)
				binary = f[len(f)-1]
			}
		}
		if binary == "" {
			t.Fatalf("the runtime stage copies no binary from the %q stage", buildName)
		}
		entry := execForm(t, find(final, "ENTRYPOINT")[0], find(final, "ENTRYPOINT")[0].args)
		if len(entry) != 1 || entry[0] != binary {
			t.Errorf("ENTRYPOINT %q, want [%q]", entry, binary)
		}
		expose := find(final, "EXPOSE")
		if len(expose) != 1 || expose[0].args != strings.TrimPrefix(cfg.Metrics.Addr, ":") {
			t.Errorf("EXPOSE %v, want the metrics port of %s", expose, cfg.Metrics.Addr)
		}
	})

	t.Run("healthcheck", func(t *testing.T) {
		hc := find(final, "HEALTHCHECK")
		if len(hc) != 1 {
			t.Fatalf("want one HEALTHCHECK, got %d", len(hc))
		}
		_, cmd, ok := strings.Cut(hc[0].args, "CMD ")
		if !ok {
			t.Fatalf("HEALTHCHECK %s has no CMD", hc[0].args)
		}
		argv := execForm(t, hc[0], cmd)
		if len(argv) < 2 || argv[0] != binary || argv[1] != "healthcheck" {
			t.Fatalf("HEALTHCHECK runs %q, want %s healthcheck", argv, binary)
		}
		u, err := url.Parse(flagValue(argv, "--url"))
		if err != nil || u.Path != "/healthz" || u.Port() != strings.TrimPrefix(cfg.Metrics.Addr, ":") {
			t.Errorf("HEALTHCHECK --url %q, want /healthz on the metrics port %s", flagValue(argv, "--url"), cfg.Metrics.Addr)
		}
	})

	t.Run("default configuration", func(t *testing.T) {
		var dest string
		for _, in := range find(final, "COPY") {
			if f := strings.Fields(in.args); f[0] == "configs/landerd.yaml" {
				dest = f[len(f)-1]
			}
		}
		cmds := find(final, "CMD")
		if len(cmds) != 1 {
			t.Fatalf("want one CMD, got %d", len(cmds))
		}
		argv := execForm(t, cmds[0], cmds[0].args)
		if dest == "" || flagValue(argv, "--config") != dest {
			t.Errorf("CMD %q does not run with the copied configs/landerd.yaml (%q)", argv, dest)
		}
	})

	t.Run("build context", func(t *testing.T) {
		var ignore []string
		sc := bufio.NewScanner(bytes.NewReader(readRepoFile(t, ".dockerignore")))
		for sc.Scan() {
			if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
				ignore = append(ignore, l)
			}
		}
		// The build needs these; .dockerignore must keep them.
		for _, p := range []string{"go.mod", "go.sum", "cmd/landerd/main.go", "internal/config/load.go", "pkg/sink", "configs/landerd.yaml"} {
			for _, pat := range ignore {
				for dir := p; dir != "."; dir = path.Dir(dir) {
					if ok, _ := path.Match(pat, dir); ok {
						t.Errorf(".dockerignore pattern %q excludes %s, which the build needs", pat, p)
					}
				}
			}
		}
	})
}
