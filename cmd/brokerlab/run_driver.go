package main

import (
	"os"
	"strings"

	"github.com/brokerlab/brokerlab/scenarios"
)

// prepareDriver sets what the container driver needs from the environment
// when the user has not: no Ryuk (its image would be pulled from a
// registry), and, with a local engine, published ports reached on
// loopback (testcontainers-go, finding itself inside a container, would
// try the bridge gateway, which a sandbox such as gVisor does not route).
func prepareDriver(driver string) {
	if driver != scenarios.DriverContainer {
		return
	}
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	if h := os.Getenv("DOCKER_HOST"); (h == "" || strings.HasPrefix(h, "unix://")) && os.Getenv("TESTCONTAINERS_HOST_OVERRIDE") == "" {
		os.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")
	}
}
