package faults

import (
	"context"
	"fmt"
	"strconv"

	"github.com/Shopify/toxiproxy/v2/toxics"

	"github.com/brokerlab/brokerlab/topology"
)

// tlsFault is a fault made of tls-* toxics (and, where a kind needs one,
// toxiproxy's own): the glue between a scenario's `fault: {kind: tls-…}`
// and the toxics that read the record layer. Each kind's file defines its
// toxic and registers both.
type tlsFault struct {
	kind   string
	link   topology.Link
	detail string
	toxics []toxic
}

func (f *tlsFault) Name() string {
	if f.detail != "" {
		return fmt.Sprintf("%s %s (%s)", f.kind, f.link, f.detail)
	}
	return f.kind + " " + f.link.String()
}

func (f *tlsFault) Apply(ctx context.Context, t Target) (Undo, error) {
	p, err := t.Proxy(f.link)
	if err != nil {
		return nil, err
	}
	return addToxics(ctx, f.Name(), p, f.toxics)
}

// recordParams reads the params of the kinds that act on one record:
// direction (which way the damaged record travels: downstream, from the To
// node to the dialler, by default) and skip (how many application-data
// records to let through first on each connection).
func recordParams(kind string, p Params) (stream string, skip int, err error) {
	if err := p.Check(kind, "direction", "skip"); err != nil {
		return "", 0, err
	}
	stream, err = p.OneOf(kind, "direction", "downstream", "upstream", "downstream")
	if err != nil {
		return "", 0, err
	}
	if v, ok := p["skip"]; ok {
		s := fmt.Sprint(v)
		if skip, err = strconv.Atoi(s); err != nil || skip < 0 {
			return "", 0, fmt.Errorf("faults: %s: field \"skip\": %q is not a whole number of records (0 or more)", kind, s)
		}
	}
	return stream, skip, nil
}

// oneRecordState is the per-connection state of the toxics that act on one
// application-data record: corrupt, drop, truncate.
type oneRecordState struct {
	split recordSplitter
	seen  int  // application-data records passed so far
	done  bool // the record has been acted on; pass the rest
}

// pipeOneRecord runs a one-record toxic: every byte passes until the
// (skip+1)th application-data record, which act turns into the bytes to
// send instead (nil: none) and says whether to close the connection after
// them. After that the stream passes untouched.
func pipeOneRecord(stub *toxics.ToxicStub, skip int, act func(rec []byte) (out []byte, closeAfter bool)) {
	st := stub.State.(*oneRecordState)
	for {
		select {
		case <-stub.Interrupt:
			return
		case c := <-stub.Input:
			if c == nil {
				emit(stub.Output, st.split.flush())
				stub.Close()
				return
			}
			if st.done {
				emit(stub.Output, c.Data)
				continue
			}
			var out []byte
			for _, seg := range st.split.feed(c.Data) {
				if st.done || !seg.record || seg.typ != recordApplicationData {
					out = append(out, seg.data...)
					continue
				}
				if st.seen++; st.seen <= skip {
					out = append(out, seg.data...)
					continue
				}
				st.done = true
				b, closeAfter := act(seg.data)
				out = append(out, b...)
				if closeAfter {
					emit(stub.Output, out)
					stub.Close()
					return
				}
			}
			if st.done {
				// The rest of the connection is not ours to frame.
				out = append(out, st.split.flush()...)
			}
			emit(stub.Output, out)
		}
	}
}

// cleanupOneRecord passes on what the splitter holds when the toxic is
// removed: taking a fault away must not lose bytes.
func cleanupOneRecord(stub *toxics.ToxicStub) {
	emit(stub.Output, stub.State.(*oneRecordState).split.flush())
}

// oneRecordFault builds the fault of a one-record kind.
func oneRecordFault(kind, toxicType string, link topology.Link, p Params) (Fault, error) {
	stream, skip, err := recordParams(kind, p)
	if err != nil {
		return nil, err
	}
	detail := stream
	if skip > 0 {
		detail += fmt.Sprintf(", after %d records", skip)
	}
	return &tlsFault{kind: kind, link: link, detail: detail, toxics: []toxic{{
		Name: toxicName(kind, stream), Type: toxicType, Stream: stream,
		Attributes: map[string]any{"skip": skip},
	}}}, nil
}
