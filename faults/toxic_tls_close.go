package faults

import (
	"time"

	"github.com/Shopify/toxiproxy/v2/toxics"

	"github.com/brokerlab/brokerlab/topology"
)

// TLSCloseAfterCertificateToxic, on the server's stream, closes the
// connection right after the server's Certificate has reached the client
// and before the end of the server's first flight: the client has seen
// (and may verify) the certificate, and the handshake can never complete.
//
// Under TLS 1.2 the flight is plaintext and the toxic ends it exactly
// after the Certificate message (a record that also holds the next
// messages is cut short, its length rewritten, so the framing stays
// valid). Under TLS 1.3 everything after the ServerHello is encrypted, so
// the Certificate is found by its place in the record sequence: the flight
// is EncryptedExtensions, [CertificateRequest], Certificate,
// CertificateVerify, Finished, one record each, sent together. The toxic
// passes the encrypted records on one behind, and when the server falls
// silent (its flight is out, it waits for the client) it closes without
// passing the last one, the Finished.
//
// A connection open before the toxic was added is past its handshake and
// is left alone.
type TLSCloseAfterCertificateToxic struct{}

// flightQuiet is how long the server must be silent for its TLS 1.3 flight
// to count as sent. A flight is written at once, so on any path that does
// not delay packets by more this is ample; it only decides when the toxic
// closes, never what the client has seen by then.
const flightQuiet = 100 * time.Millisecond

type tlsCloseState struct {
	split       recordSplitter
	hs          handshakeReader
	serverHello bool   // ServerHello seen: the server's flight has begun
	tls13       bool   // encrypted records follow the ServerHello
	held        []byte // TLS 1.3: the last encrypted record, not yet passed on
	passThrough bool   // not a handshake we can follow: leave the connection alone
	done        bool
}

func (t *TLSCloseAfterCertificateToxic) NewState() any { return new(tlsCloseState) }

func (t *TLSCloseAfterCertificateToxic) Pipe(stub *toxics.ToxicStub) {
	st := stub.State.(*tlsCloseState)
	var quiet <-chan time.Time
	for {
		select {
		case <-stub.Interrupt:
			return
		case <-quiet:
			// The 1.3 flight is out; the held record is its Finished.
			st.held, st.done = nil, true
			stub.Close()
			return
		case c := <-stub.Input:
			if c == nil {
				emit(stub.Output, st.held)
				stub.Close()
				return
			}
			if st.passThrough {
				emit(stub.Output, c.Data)
				continue
			}
			if st.step(stub, c.Data) {
				stub.Close()
				return
			}
			if st.tls13 && st.held != nil {
				quiet = time.After(flightQuiet)
			}
		}
	}
}

// step handles one chunk; true means close now.
func (st *tlsCloseState) step(stub *toxics.ToxicStub, chunk []byte) bool {
	for _, seg := range st.split.feed(chunk) {
		switch {
		case st.passThrough:
			emit(stub.Output, seg.data)
		case !seg.record || !st.serverHello && seg.typ != recordHandshake:
			// Joined mid-stream, or not TLS: nothing to follow.
			st.passThrough = true
			emit(stub.Output, seg.data)
		case st.tls13 || st.serverHello && seg.typ == recordApplicationData:
			st.tls13 = true
			emit(stub.Output, st.held)
			st.held = seg.data
		case seg.typ == recordChangeCipherSpec:
			emit(stub.Output, seg.data) // TLS 1.3's compatibility CCS
		case seg.typ == recordHandshake:
			for _, m := range st.hs.feed(seg.body()) {
				switch m.typ {
				case handshakeServerHello:
					st.serverHello = true
				case handshakeCertificate:
					// TLS 1.2: pass exactly up to the end of the Certificate.
					emit(stub.Output, truncatedRecord(seg.data, m.end))
					st.done = true
					return true
				}
			}
			emit(stub.Output, seg.data)
		default:
			emit(stub.Output, seg.data)
		}
	}
	return false
}

// truncatedRecord is rec with its body cut to n bytes and its length
// rewritten to match.
func truncatedRecord(rec []byte, n int) []byte {
	out := clone(rec[:recordHeaderLen+n])
	out[3], out[4] = byte(n>>8), byte(n)
	return out
}

func (t *TLSCloseAfterCertificateToxic) Cleanup(stub *toxics.ToxicStub) {
	st := stub.State.(*tlsCloseState)
	if !st.done {
		emit(stub.Output, st.held)
		emit(stub.Output, st.split.flush())
	}
}

func init() {
	toxics.Register("tls_close_after_certificate", new(TLSCloseAfterCertificateToxic))
	Register("tls-close-after-certificate", func(link topology.Link, p Params) (Fault, error) {
		if err := p.Check("tls-close-after-certificate"); err != nil {
			return nil, err
		}
		return &tlsFault{kind: "tls-close-after-certificate", link: link, toxics: []toxic{{
			Name: toxicName("tls-close", "downstream"), Type: "tls_close_after_certificate", Stream: "downstream",
		}}}, nil
	})
}
