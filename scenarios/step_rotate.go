package scenarios

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"github.com/brokerlab/brokerlab/topology/driver"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/broker/transport"
	"github.com/brokerlab/brokerlab/topology"
)

// rotateStep renews a node's certificate without restarting it:
// `rotate: {node: hub}`. A new key and certificate from the same authority
// are written over the node's files, the running broker reloads them
// (Broker.ReloadTLS), and the step proves it by a fresh handshake with the
// node's TLS listener, which must present the new certificate and not the
// old. Connections established before keep theirs; that nothing they
// carried is lost is for the scenario's delivery expectation to show.
type rotateStep struct {
	node string
	pos  *yaml.Node
	d    *decoder
}

func init() { registerStep("rotate", parseRotate) }

func parseRotate(d *decoder, v *yaml.Node) Step {
	f := d.fields(v, "rotate", "node")
	return &rotateStep{node: f.str("node", true), pos: v, d: d}
}

func (s *rotateStep) check(spec *topology.Spec) error {
	n := spec.Node(s.node)
	switch {
	case n == nil:
		return s.d.nameError(s.pos, "rotate: topology %s has no node %q", spec.Name, s.node)
	case !n.HasIdentity() || n.TLS.Identity.SelfSigned:
		return s.d.nameError(s.pos, "rotate: %s needs a CA-signed identity (identity: {issuer: …}): a self-signed certificate is pinned by its peers, and renewing it would break every bridge", s.node)
	}
	return nil
}

func (s *rotateStep) Describe() string {
	return "rotate " + s.node + "'s certificate without a restart"
}

func (s *rotateStep) Run(env *Env) error {
	reloader, ok := env.Nodes.(driver.TLSReloader)
	if !ok {
		return fmt.Errorf("rotate: this driver (%T) cannot reload a node's certificates", env.Nodes)
	}
	if _, running := env.Nodes.Stats(s.node); !running {
		return fmt.Errorf("%s is not running", s.node)
	}
	before, err := servedCertificate(env, s.node)
	if err != nil {
		return fmt.Errorf("before rotation: %w", err)
	}
	cert, err := env.pki.Reissue(env.Spec, s.node)
	if err != nil {
		return err
	}
	if err := reloader.ReloadTLS(s.node); err != nil {
		return err
	}
	after, err := servedCertificate(env, s.node)
	if err != nil {
		return fmt.Errorf("after rotation: %w", err)
	}
	switch {
	case after.Equal(before):
		return fmt.Errorf("%s still presents its old certificate (serial %X) to new connections after the reload", s.node, before.SerialNumber)
	case !after.Equal(cert):
		return fmt.Errorf("%s presents serial %X to new connections, not the new certificate's %X", s.node, after.SerialNumber, cert.SerialNumber)
	}
	return nil
}

// servedCertificate is the certificate node presents to a new connection
// on its first TLS listener, verified against the node's own truststore
// under the node's name, as its peers verify it.
func servedCertificate(env *Env, node string) (*x509.Certificate, error) {
	addr := ""
	for i, raw := range env.Spec.Node(node).Listen {
		if l, err := transport.ParseListener(raw); err == nil && l.TLS {
			addr = env.Nodes.Addrs(node)[i]
			break
		}
	}
	if addr == "" {
		return nil, fmt.Errorf("%s has no TLS listener", node)
	}
	m, err := tlsconf.Load(env.files[node])
	if err != nil {
		return nil, err
	}
	cfg, err := tlsconf.ClientConfig(m, node)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(env.Ctx, 5*time.Second)
	defer cancel()
	d := tls.Dialer{Config: cfg}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("handshake with %s at %s: %w", node, addr, err)
	}
	defer c.Close()
	return c.(*tls.Conn).ConnectionState().PeerCertificates[0], nil
}
