package faults

import (
	"github.com/Shopify/toxiproxy/v2/toxics"

	"github.com/brokerlab/brokerlab/topology"
)

// TLSStallToxic lets the client's ClientHello through and then holds every
// byte the client sends after it: the server answers, and waits for the
// client's next flight for ever. It is the middlebox that inspects the
// first packet of a connection and then stalls, and the client that hangs
// after hello.
//
// What each side sees follows from the protocol, not from the toxic:
// under TLS 1.2 both ends wait for the other (handshake-timeout on both);
// under TLS 1.3 the client finishes its handshake without waiting for the
// server, so the client's side fails only when its first read (the
// bridge's CONNECTED) times out, while the server, which never gets the
// client's Finished, reports handshake-timeout.
//
// On a connection that was open before the toxic was added there is no
// ClientHello to let through, so it stalls at once. Removing the toxic
// closes the stalled connections (as toxiproxy's timeout toxic does), so
// the dialler redials rather than resuming a half-dead stream.
type TLSStallToxic struct{}

type tlsStallState struct {
	split     recordSplitter
	hs        handshakeReader
	helloSent bool // the ClientHello has gone through; hold everything now
}

func (t *TLSStallToxic) NewState() any { return new(tlsStallState) }

func (t *TLSStallToxic) Pipe(stub *toxics.ToxicStub) {
	st := stub.State.(*tlsStallState)
	for {
		select {
		case <-stub.Interrupt:
			return
		case c := <-stub.Input:
			if c == nil {
				stub.Close()
				return
			}
			if st.helloSent {
				continue // stalled: dropped on the floor
			}
			for _, seg := range st.split.feed(c.Data) {
				if st.helloSent || !seg.record || seg.typ != recordHandshake {
					// Not the start of a handshake: the hello is long past.
					st.helloSent = true
					continue
				}
				emit(stub.Output, seg.data)
				for _, m := range st.hs.feed(seg.body()) {
					if m.typ == handshakeClientHello {
						st.helloSent = true
					}
				}
			}
		}
	}
}

// Cleanup closes the stalled connection when the toxic is removed.
func (t *TLSStallToxic) Cleanup(stub *toxics.ToxicStub) { stub.Close() }

func init() {
	toxics.Register("tls_stall_after_client_hello", new(TLSStallToxic))
	Register("tls-stall-after-client-hello", func(link topology.Link, p Params) (Fault, error) {
		if err := p.Check("tls-stall-after-client-hello"); err != nil {
			return nil, err
		}
		return &tlsFault{kind: "tls-stall-after-client-hello", link: link, toxics: []toxic{{
			Name: toxicName("tls-stall", "upstream"), Type: "tls_stall_after_client_hello", Stream: "upstream",
		}}}, nil
	})
}
