package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// healthTimeout bounds the probe: a container runtime runs it every few
// seconds and counts a hang as a failure anyway.
const healthTimeout = 3 * time.Second

// runHealthcheck asks the running bot's public listener for /healthz: the
// container image's health check, since an image FROM scratch has no curl.
func runHealthcheck(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("healthcheck")
	target := fs.String("url", "", "`URL` to probe (default http://SFPDESK_ADDR/healthz)")
	if code, ok := parseFlags(fs, args, stdout, stderr, false); !ok {
		return code
	}
	if *target == "" {
		cfg, _ := LoadConfig(os.LookupEnv, ".env")
		*target = "http://" + dialAddr(cfg.Addr) + "/healthz"
	}
	ctx, cancel := context.WithTimeout(context.Background(), healthTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *target, nil)
	if err != nil {
		fmt.Fprintf(stderr, "sfpdesk healthcheck: %v\n", err)
		return 2
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "sfpdesk healthcheck: no answer from %s: %v\n", *target, err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64))
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != "ok" {
		fmt.Fprintf(stderr, "sfpdesk healthcheck: %s answered %s\n", *target, resp.Status)
		return 1
	}
	fmt.Fprintf(stdout, "ok %s\n", *target)
	return 0
}
