package container

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
)

// AdminPort is where a node's admin endpoint listens inside its container.
const AdminPort = "8080/tcp"

// Container is one brokerlab node in a container.
type Container struct {
	*testcontainers.DockerContainer
	Node string
}

// Run starts one node from img (see BuildImage) in the manner of a
// testcontainers module: defaults first (the admin port exposed, a wait for
// the ready line and /healthz), then opts, e.g.
//
//	container.Run(ctx, img, container.WithBroker("hub", args...),
//		container.WithNodeFiles(files), network.WithNetwork([]string{"hub"}, nw),
//		testcontainers.WithExposedPorts("61617/tcp"))
//
// On error the container, if one was made, is returned too so that the
// caller can terminate it (cleanup registered before the error check).
func Run(ctx context.Context, img string, opts ...testcontainers.ContainerCustomizer) (*Container, error) {
	all := []testcontainers.ContainerCustomizer{
		testcontainers.WithExposedPorts(AdminPort),
		testcontainers.WithWaitStrategyAndDeadline(ReadyTimeout,
			wait.ForLog(`"event":"ready"`),
			wait.ForHTTP("/healthz").WithPort(AdminPort).WithStartupTimeout(ReadyTimeout)),
	}
	all = append(all, opts...)
	c, err := testcontainers.Run(ctx, img, all...)
	var out *Container
	if c != nil {
		out = &Container{DockerContainer: c}
	}
	if err != nil {
		return out, fmt.Errorf("container: run %s: %w", img, err)
	}
	return out, nil
}

// ReadyTimeout bounds how long a node container may take to be ready.
const ReadyTimeout = 60 * time.Second

// WithBroker runs `brokerlab broker` with args (after "broker").
func WithBroker(args ...string) testcontainers.CustomizeRequestOption {
	return testcontainers.WithCmd(append([]string{"broker"}, args...)...)
}

// PKIDir is where a node's TLS files are inside its container.
const PKIDir = "/pki"

// InContainer maps a node's TLS files to their paths inside its container.
func InContainer(f tlsconf.Files) tlsconf.Files {
	m := func(host, name string) string {
		if host == "" {
			return ""
		}
		return PKIDir + "/" + name
	}
	return tlsconf.Files{CertFile: m(f.CertFile, "cert.pem"), KeyFile: m(f.KeyFile, "key.pem"), TrustFile: m(f.TrustFile, "trust.pem"), CRLFile: m(f.CRLFile, "crl.pem")}
}

// WithNodeFiles copies a node's TLS files into the container, where
// InContainer says they are.
func WithNodeFiles(f tlsconf.Files) testcontainers.CustomizeRequestOption {
	in := InContainer(f)
	var files []testcontainers.ContainerFile
	for _, p := range [][2]string{{f.CertFile, in.CertFile}, {f.KeyFile, in.KeyFile}, {f.TrustFile, in.TrustFile}, {f.CRLFile, in.CRLFile}} {
		if p[0] != "" {
			files = append(files, testcontainers.ContainerFile{HostFilePath: p[0], ContainerFilePath: p[1], FileMode: 0o444})
		}
	}
	return testcontainers.WithFiles(files...)
}

// HostAddr is where this machine reaches a port of the container.
func (c *Container) HostAddr(ctx context.Context, port string) (string, error) {
	host, err := c.Host(ctx)
	if err != nil {
		return "", err
	}
	p, err := c.MappedPort(ctx, port)
	if err != nil {
		return "", err
	}
	return net.JoinHostPort(host, p.Port()), nil
}
