package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHealthcheck: the command exits 0 only when the endpoint answers 2xx,
// 1 when it answers otherwise or cannot be reached, and 2 for a bad
// command line; it prints the endpoint's answer either way.
func TestHealthcheck(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "not a member of the consumer group", http.StatusServiceUnavailable)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	closed := httptest.NewServer(mux)
	closedURL := closed.URL
	closed.Close()

	cases := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"alive", []string{"--url", srv.URL + "/healthz"}, 0, srv.URL + "/healthz: ok"},
		{"not ready", []string{"--url", srv.URL + "/readyz"}, 1, "503 Service Unavailable: not a member of the consumer group"},
		{"no such path", []string{"--url", srv.URL + "/nope"}, 1, "404"},
		{"nothing listening", []string{"--url", closedURL + "/healthz"}, 1, "connection refused"},
		{"not http", []string{"--url", "ftp://x/healthz"}, 2, "--url must be an http"},
		{"no host", []string{"--url", "/healthz"}, 2, "--url must be an http"},
		{"bad timeout", []string{"--url", srv.URL + "/healthz", "--timeout", "0s"}, 2, "--timeout must be positive"},
		{"extra argument", []string{"extra"}, 2, "unexpected arguments"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, append([]string{"healthcheck"}, c.args...)...)
			if code != c.code || !strings.Contains(out+errOut, c.contains) {
				t.Errorf("exit %d, output %q; want exit %d containing %q", code, out+errOut, c.code, c.contains)
			}
		})
	}
}
