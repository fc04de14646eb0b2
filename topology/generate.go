package topology

// HubAndSpokesOptions shapes the network HubAndSpokes builds.
type HubAndSpokesOptions struct {
	// Spokes is the number of spokes, named server-a, server-b, … (after
	// server-z: server-aa, server-ab, …). 0 means 2, as in the tutorial.
	Spokes int
	// CA gives every node a certificate signed by one authority, "root",
	// and makes every node trust only it, instead of self-signed
	// certificates and truststores listing the peers.
	CA bool
	// NetworkTTL of the spokes' connectors. 0 means 2, the least that
	// carries a message spoke -> hub -> spoke.
	NetworkTTL int
}

// HubAndSpokes builds the classic tutorial's network for any number of
// spokes: the hub listens on stomp+ssl with needClientAuth=true, each
// spoke listens on plain stomp and opens a duplex connector to the hub.
// With the defaults the result equals the built-in example
// "hub-and-spokes" (or "hub-and-spokes-ca" with CA), positions aside: the
// second and later spokes record Like: "server-a" as the example's do.
func HubAndSpokes(o HubAndSpokesOptions) *Spec {
	if o.Spokes <= 0 {
		o.Spokes = 2
	}
	if o.NetworkTTL <= 0 {
		o.NetworkTTL = 2
	}
	spec := &Spec{Name: "hub-and-spokes"}
	identity := Identity{SelfSigned: true}
	if o.CA {
		spec.Name += "-ca"
		spec.Authorities = []*Authority{{Name: "root"}}
		identity = Identity{Issuer: "root"}
	}
	spokes := make([]string, o.Spokes)
	for i := range spokes {
		spokes[i] = "server-" + spokeSuffix(i)
	}
	hub := &Node{
		Name:   "hub",
		Listen: []string{"stomp+ssl://127.0.0.1:0?needClientAuth=true"},
		TLS:    &NodeTLS{Identity: identity, Trust: append([]string{"hub"}, spokes...)},
	}
	if o.CA {
		hub.TLS.Trust = []string{"root"}
	}
	spec.Nodes = append(spec.Nodes, hub)
	for i, name := range spokes {
		n := &Node{
			Name:   name,
			Listen: []string{"stomp://127.0.0.1:0"},
			TLS:    &NodeTLS{Identity: identity, Trust: []string{name, "hub"}},
			Connect: []*Connector{{
				To: "hub", Duplex: true, DynamicOnly: false, NetworkTTL: o.NetworkTTL,
			}},
		}
		if o.CA {
			n.TLS.Trust = []string{"root"}
		}
		if i > 0 {
			n.Like = spokes[0]
		}
		spec.Nodes = append(spec.Nodes, n)
	}
	return spec
}

// spokeSuffix numbers spokes the way spreadsheets number columns:
// a … z, aa, ab, …
func spokeSuffix(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('a'+(i-1)%26)) + s
	}
	return s
}
