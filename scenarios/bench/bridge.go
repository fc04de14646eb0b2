package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/driver"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// BridgeUpTimeout bounds the wait for the spoke's bridge to the hub: a
// TLS handshake and a CONNECT on loopback.
const BridgeUpTimeout = 15 * time.Second

// addBridge starts two more of our brokers, each with a mutual-TLS
// listener and a data directory of its own, and adds the path across them
// as the target BridgeTLS:
//
//	producers ─▶ spoke ══ spoke->hub, mutual TLS, duplex ══▶ hub ─▶ consumers
//
// The spoke dials the hub with its own certificate; each trusts the
// other's and the client's, and the client trusts both.
func (l *lab) addBridge(ctx context.Context, brokerCmd []string) error {
	dir := filepath.Join(l.dir, "bridge")
	selfSigned := topology.Identity{SelfSigned: true}
	spec := &topology.Spec{Name: "bench-bridge", Nodes: []*topology.Node{
		{Name: "hub", TLS: &topology.NodeTLS{Identity: selfSigned, Trust: []string{"spoke", "client"}}},
		{Name: "spoke", TLS: &topology.NodeTLS{Identity: selfSigned, Trust: []string{"hub", "client"}}},
		{Name: "client", TLS: &topology.NodeTLS{Identity: selfSigned, Trust: []string{"hub", "spoke"}}},
	}}
	mat, err := pki.Generate(spec, dir, pki.Options{})
	if err != nil {
		return fmt.Errorf("bench: bridge: %w", err)
	}
	hub, hubAddr, err := l.startTLSNode(ctx, brokerCmd, "hub", mat.Nodes["hub"], dir)
	if err != nil {
		return err
	}
	// serverName: the hub's certificate names it "hub", not 127.0.0.1.
	connect := fmt.Sprintf("static://(ssl://%s?serverName=hub)?name=spoke->hub&duplex=true", hubAddr)
	spoke, spokeAddr, err := l.startTLSNode(ctx, brokerCmd, "spoke", mat.Nodes["spoke"], dir, "--connect", connect)
	if err != nil {
		return err
	}
	if err := waitBridgeUp(ctx, spoke, BridgeUpTimeout); err != nil {
		return err
	}
	client := mat.Nodes["client"]
	spokeTLS, err := clientConfig(client, "spoke")
	if err != nil {
		return err
	}
	hubTLS, err := clientConfig(client, "hub")
	if err != nil {
		return err
	}
	l.targets = append(l.targets, Target{Transport: BridgeTLS,
		Addr: spokeAddr, TLS: spokeTLS, Host: "spoke", PID: spoke.PID,
		ConsumeAddr: hubAddr, ConsumeTLS: hubTLS, ConsumeHost: "hub", ConsumePID: hub.PID})
	l.lines = append(l.lines, fmt.Sprintf("bridge: producers → spoke pid %d, %s %s → hub pid %d, %s %s → consumers",
		spoke.PID, TLS, spokeAddr, hub.PID, TLS, hubAddr))
	return nil
}

// startTLSNode starts broker name with one mutual-TLS listener, its files
// f and a data directory under dir, plus extra flags, and returns it with
// the listener's address.
func (l *lab) startTLSNode(ctx context.Context, brokerCmd []string, name string, f *pki.NodeFiles, dir string, extra ...string) (*Child, string, error) {
	args := append([]string{"--name", name,
		"--listen", "stomp+ssl://127.0.0.1:0?needClientAuth=true",
		"--tls-cert", f.CertFile, "--tls-key", f.KeyFile, "--tls-ca", f.TrustFile,
		"--data", filepath.Join(dir, name+"-data")}, extra...)
	child, err := l.start(ctx, brokerCmd, args...)
	if err != nil {
		return nil, "", err
	}
	addr, err := listenerAddr(child, "stomp+ssl://")
	return child, addr, err
}

// waitBridgeUp polls c's /stats until it lists a bridge, so that a bridge
// that cannot come up (a certificate it refuses, say) fails here with the
// spoke's stderr, not as a first run that never receives. A broker without
// an admin address is not waited for: each run's first message, which
// must cross before the load starts, proves the path anyway.
func waitBridgeUp(ctx context.Context, c *Child, timeout time.Duration) error {
	if c.Admin == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		if st, ok := driver.AdminStats(c.Admin); ok && len(st.Network) > 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			if gone, why := c.Exited(); gone {
				return fmt.Errorf("bench: bridge: %s", why)
			}
			return fmt.Errorf("bench: bridge: broker %s (pid %d) had no bridge up within %s (its /stats at %s listed none, or did not answer)%s", c.Node, c.PID, timeout, c.Admin, c.stderr.say())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
