package faults

import (
	"github.com/Shopify/toxiproxy/v2/toxics"

	"github.com/brokerlab/brokerlab/topology"
)

// TLSDropRecordToxic removes one application-data record from the stream
// on each connection, as a buggy middlebox might. TCP delivered everything
// it was given, so only TLS can notice: the next record is decrypted with
// the wrong sequence number and fails with "bad record MAC"
// (bad-record-mac). If the dropped record was the last one for a while,
// nothing is noticed until the next one (a heart-beat at the latest).
type TLSDropRecordToxic struct {
	Skip int `json:"skip"`
}

func (t *TLSDropRecordToxic) NewState() any { return new(oneRecordState) }

func (t *TLSDropRecordToxic) Pipe(stub *toxics.ToxicStub) {
	pipeOneRecord(stub, t.Skip, func([]byte) ([]byte, bool) { return nil, false })
}

func (t *TLSDropRecordToxic) Cleanup(stub *toxics.ToxicStub) { cleanupOneRecord(stub) }

func init() {
	toxics.Register("tls_drop_record", new(TLSDropRecordToxic))
	Register("tls-drop-record", func(link topology.Link, p Params) (Fault, error) {
		return oneRecordFault("tls-drop-record", "tls_drop_record", link, p)
	})
}
