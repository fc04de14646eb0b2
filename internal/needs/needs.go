// Package needs lets a test declare what it needs from the machine (a
// Docker engine, an ActiveMQ installation). When it is missing the test is
// skipped with a loud reason, or fails when BROKERLAB_REQUIRE_ALL=1, so that
// CI, which installs everything, can never pass by skipping.
package needs

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// RequireAllEnv turns every "missing" skip into a failure when set to 1.
const RequireAllEnv = "BROKERLAB_REQUIRE_ALL"

// Missing skips t, or fails it under BROKERLAB_REQUIRE_ALL=1, saying what
// is missing and how to get it.
func Missing(t testing.TB, what, how string) {
	t.Helper()
	msg := fmt.Sprintf("NEEDS %s: %s", what, how)
	if os.Getenv(RequireAllEnv) == "1" {
		t.Fatalf("%s (%s=1 forbids skipping)", msg, RequireAllEnv)
	}
	t.Skip("SKIPPED, " + msg)
}

// DockerSocket is where a Docker engine listens: DOCKER_HOST when it names
// a unix socket, else the default.
func DockerSocket() string {
	if h := os.Getenv("DOCKER_HOST"); strings.HasPrefix(h, "unix://") {
		return strings.TrimPrefix(h, "unix://")
	}
	return "/var/run/docker.sock"
}

// DockerAvailable pings the engine over its socket; nil means it answers.
func DockerAvailable() error {
	sock := DockerSocket()
	c := &http.Client{
		Timeout: 3 * time.Second,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}},
	}
	resp, err := c.Get("http://docker/_ping")
	if err != nil {
		return fmt.Errorf("no Docker engine answers on %s: %w", sock, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the Docker engine on %s answered /_ping with %s", sock, resp.Status)
	}
	return nil
}

// Docker requires a running Docker engine. It also turns off Ryuk, the
// reaper container testcontainers-go would pull (no registry may be
// reachable, and every test removes what it starts), and, the engine being
// on this machine, has published ports reached on loopback:
// testcontainers-go would otherwise take the bridge gateway when it finds
// itself inside a container (/.dockerenv), which a sandboxed runtime
// such as gVisor does not route.
func Docker(t testing.TB) {
	t.Helper()
	if err := DockerAvailable(); err != nil {
		Missing(t, "Docker", err.Error()+"; install docker.io and start dockerd (.ci/run does both)")
		return
	}
	for k, v := range map[string]string{"TESTCONTAINERS_RYUK_DISABLED": "true", "TESTCONTAINERS_HOST_OVERRIDE": "127.0.0.1"} {
		if os.Getenv(k) == "" {
			t.Setenv(k, v)
		}
	}
}

// ActiveMQHome is where ActiveMQ Classic is installed: ACTIVEMQ_HOME, else
// Debian's /usr/share/activemq.
func ActiveMQHome() string {
	if h := os.Getenv("ACTIVEMQ_HOME"); h != "" {
		return h
	}
	return "/usr/share/activemq"
}

// ActiveMQAvailable checks for bin/activemq.jar under ActiveMQHome and a
// java on PATH; nil means an instance can be started.
func ActiveMQAvailable() error {
	jar := filepath.Join(ActiveMQHome(), "bin", "activemq.jar")
	if _, err := os.Stat(jar); err != nil {
		return fmt.Errorf("no ActiveMQ at %s (set ACTIVEMQ_HOME)", jar)
	}
	if _, err := exec.LookPath("java"); err != nil {
		return fmt.Errorf("no java on PATH")
	}
	return nil
}

// ActiveMQ requires an ActiveMQ Classic installation and returns its home.
func ActiveMQ(t testing.TB) string {
	t.Helper()
	if err := ActiveMQAvailable(); err != nil {
		Missing(t, "ActiveMQ", err.Error()+"; apt-get install activemq (.ci/run does)")
		return ""
	}
	return ActiveMQHome()
}
