package scenarios

import (
	"fmt"
	"net"

	"github.com/go-stomp/stomp/v3"
	"gopkg.in/yaml.v3"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
)

// probeAuth is how a probe presents itself: the CONNECT login and
// passcode, the source address it binds (127.0.0.2 stands in for a remote
// client on loopback), and whose certificate it presents on a TLS listener:
// "" the node's own identity, "none" no certificate, or another node's.
// Steps that connect (produce, consume, probe) take the same keys.
type probeAuth struct {
	Login, Passcode string
	From            string
	Cert            string
}

// authKeys are the keys parseAuth reads.
var authKeys = []string{"login", "passcode", "from", "cert"}

func parseAuth(d *decoder, f *fields) probeAuth {
	a := probeAuth{Login: f.str("login", false), Passcode: f.str("passcode", false), From: f.str("from", false), Cert: f.str("cert", false)}
	if a.From != "" && net.ParseIP(a.From) == nil {
		d.errorf(f.values["from"], "from must be an IP address to bind the probe to, e.g. 127.0.0.2; got %q", a.From)
	}
	if a.Passcode != "" && a.Login == "" {
		d.errorf(f.values["passcode"], "a passcode needs a login")
	}
	return a
}

// check makes sure a named certificate belongs to a node of the topology.
func (a probeAuth) check(d *decoder, pos *yaml.Node, spec *topology.Spec) error {
	if a.Cert != "" && a.Cert != "none" && spec.Node(a.Cert) == nil {
		return d.nameError(pos, "cert: topology %s has no node %q (use none for no certificate)", spec.Name, a.Cert)
	}
	return nil
}

// describe says who the probe is, for step names; never the passcode.
func (a probeAuth) describe() string {
	s := ""
	if a.Login != "" {
		s += " as " + a.Login
	}
	if a.From != "" {
		s += " from " + a.From
	}
	switch a.Cert {
	case "":
	case "none":
		s += " without a certificate"
	default:
		s += " with " + a.Cert + "'s certificate"
	}
	return s
}

func (a probeAuth) localAddr() net.Addr {
	if a.From == "" {
		return nil
	}
	return &net.TCPAddr{IP: net.ParseIP(a.From)}
}

func (a probeAuth) login() func(*stomp.Conn) error {
	if a.Login == "" {
		return nil
	}
	return stomp.ConnOpt.Login(a.Login, a.Passcode)
}

// files picks the probe's TLS files: the node's truststore (it verifies the
// node), and the identity a.Cert names.
func (a probeAuth) files(env *Env, node string) tlsconf.Files {
	own := env.files[node]
	switch a.Cert {
	case "":
		return own
	case "none":
		return tlsconf.Files{TrustFile: own.TrustFile, CRLFile: own.CRLFile}
	default:
		other := env.files[a.Cert]
		return tlsconf.Files{CertFile: other.CertFile, KeyFile: other.KeyFile, TrustFile: own.TrustFile, CRLFile: own.CRLFile}
	}
}

func (a probeAuth) String() string { return fmt.Sprintf("probeAuth{%s}", a.describe()) }
