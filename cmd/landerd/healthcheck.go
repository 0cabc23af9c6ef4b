package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// defaultHealthURL is the liveness endpoint of a landerd on the default
// metrics address, seen from inside its own container.
const defaultHealthURL = "http://127.0.0.1:9464/healthz"

// cmdHealthcheck asks a landerd's health endpoint whether it is up, for
// container images that have no shell or HTTP client of their own (a
// Dockerfile HEALTHCHECK, a Kubernetes exec probe). It prints the answer
// and returns nil only on a 2xx status.
func cmdHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rawURL := fs.String("url", defaultHealthURL, "endpoint to ask: /healthz (alive) or /readyz (ready)")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	u, err := url.Parse(*rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("healthcheck: --url must be an http:// or https:// URL with a host, got %q", *rawURL)
	}
	if *timeout <= 0 {
		return usagef("healthcheck: --timeout must be positive, got %s", *timeout)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("healthcheck %s: %w", u, err)
	}
	client := &http.Client{}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if cerr := resp.Body.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("healthcheck %s: read answer: %w", u, err)
	}
	answer := strings.TrimSpace(string(body))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("healthcheck %s: %s: %s", u, resp.Status, answer)
	}
	fmt.Fprintf(stdout, "%s: %s\n", u, answer)
	return nil
}
