package faults

import (
	"github.com/Shopify/toxiproxy/v2/toxics"

	"github.com/brokerlab/brokerlab/topology"
)

// TLSTruncateRecordToxic sends the header and the first half of one
// application-data record, then closes the connection: the receiver is
// left mid-record ("unexpected EOF", class connection-reset), unlike a
// clean close between records, which TLS 1.3 without close_notify cannot
// tell from the end of the data. It is the proxy or load balancer that
// cuts a connection in the middle of a message.
type TLSTruncateRecordToxic struct {
	Skip int `json:"skip"`
}

func (t *TLSTruncateRecordToxic) NewState() any { return new(oneRecordState) }

func (t *TLSTruncateRecordToxic) Pipe(stub *toxics.ToxicStub) {
	pipeOneRecord(stub, t.Skip, func(rec []byte) ([]byte, bool) {
		body := len(rec) - recordHeaderLen
		return rec[:recordHeaderLen+body/2], true
	})
}

func (t *TLSTruncateRecordToxic) Cleanup(stub *toxics.ToxicStub) { cleanupOneRecord(stub) }

func init() {
	toxics.Register("tls_truncate_record", new(TLSTruncateRecordToxic))
	Register("tls-truncate-record", func(link topology.Link, p Params) (Fault, error) {
		return oneRecordFault("tls-truncate-record", "tls_truncate_record", link, p)
	})
}
