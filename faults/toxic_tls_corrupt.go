package faults

import (
	"github.com/Shopify/toxiproxy/v2/toxics"

	"github.com/brokerlab/brokerlab/topology"
)

// TLSCorruptRecordToxic flips the bits of the last byte of one
// application-data record on each connection — part of the AEAD tag, so
// the damage is certain to be caught: the receiver fails the record with
// "bad record MAC" (class bad-record-mac) and sends the alert back, so the
// sender sees the same class. No TLS record can be changed in transit
// unnoticed; this shows what each side does when one is.
//
// Added while a bridge is up, it damages the next record on the open
// connection (a heart-beat, or a message). On a new connection under
// TLS 1.3 the first application-data record is the server's encrypted
// handshake, so while the fault lasts every handshake fails with
// bad-record-mac, and the bridge comes back once it is removed.
type TLSCorruptRecordToxic struct {
	Skip int `json:"skip"` // application-data records to let through first, per connection
}

func (t *TLSCorruptRecordToxic) NewState() any { return new(oneRecordState) }

func (t *TLSCorruptRecordToxic) Pipe(stub *toxics.ToxicStub) {
	pipeOneRecord(stub, t.Skip, func(rec []byte) ([]byte, bool) {
		rec[len(rec)-1] ^= 0xff
		return rec, false
	})
}

func (t *TLSCorruptRecordToxic) Cleanup(stub *toxics.ToxicStub) { cleanupOneRecord(stub) }

func init() {
	toxics.Register("tls_corrupt_record", new(TLSCorruptRecordToxic))
	Register("tls-corrupt-record", func(link topology.Link, p Params) (Fault, error) {
		return oneRecordFault("tls-corrupt-record", "tls_corrupt_record", link, p)
	})
}
