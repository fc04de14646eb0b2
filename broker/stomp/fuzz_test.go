package stomp

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
	"testing/iotest"
)

// fuzzLimits are small so that fuzzing reaches the limit checks and the
// paths for lines and bodies longer than the (tiny) buffer.
var fuzzLimits = Limits{MaxHeaderLine: 64, MaxHeaders: 8, MaxBody: 128}

// FuzzReadFrame parses each input at every version, so one corpus covers
// all three escaping schemes. For every version it checks that:
//   - nothing panics and errors are only io.ErrUnexpectedEOF or
//     *ProtocolError (a clean io.EOF ends the stream);
//   - the outcome does not depend on how the stream is chunked or on the
//     buffer size;
//   - every frame read, written back at the same version and read again,
//     is the same frame (content-length aside, which the Writer owns).
//
// Seeds live in testdata/fuzz/FuzzReadFrame.
func FuzzReadFrame(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, v := range []Version{V10, V11, V12} {
			frames, err := fuzzRead(NewReader(bytes.NewReader(data), DefaultLimits), v)
			checkFuzzErr(t, v, err)
			for _, fr := range frames {
				checkRoundTrip(t, v, fr)
			}

			small, err := fuzzRead(NewReader(bytes.NewReader(data), fuzzLimits), v)
			checkFuzzErr(t, v, err)
			chunked, cerr := fuzzRead(newReaderSize(iotest.OneByteReader(bytes.NewReader(data)), fuzzLimits, 16), v)
			if !reflect.DeepEqual(small, chunked) || !sameErr(err, cerr) {
				t.Fatalf("%s: chunking changed the outcome:\n whole   %v, %v\n chunked %v, %v", v, small, err, chunked, cerr)
			}
			resized, rerr := fuzzRead(newResizingReader(bytes.NewReader(data), fuzzLimits), v)
			if !reflect.DeepEqual(small, resized) || !sameErr(err, rerr) {
				t.Fatalf("%s: resizing the buffer changed the outcome:\n whole   %v, %v\n resized %v, %v", v, small, err, resized, rerr)
			}
			for _, fr := range small {
				checkRoundTrip(t, v, fr)
			}
			recycled, rerr := readRecycling(NewReader(bytes.NewReader(data), fuzzLimits), v)
			if !reflect.DeepEqual(small, recycled) || !sameErr(err, rerr) {
				t.Fatalf("%s: recycling frames changed the outcome:\n fresh    %v, %v\n recycled %v, %v", v, small, err, recycled, rerr)
			}
		}
	})
}

// readRecycling reads every frame, keeping what Recycle lets a caller keep
// (header strings and body), and recycles each: an earlier frame's text
// must survive the frames read into its place.
func readRecycling(r *Reader, v Version) ([]*Frame, error) {
	r.SetVersion(v)
	var kept []*Frame
	for {
		f, err := r.ReadFrame()
		if err == io.EOF {
			return kept, nil
		}
		if err != nil {
			return kept, err
		}
		k := &Frame{Command: f.Command, Body: f.Body}
		if f.Headers != nil {
			k.Headers = append([]Header{}, f.Headers...)
		}
		kept = append(kept, k)
		r.Recycle(f)
	}
}

func fuzzRead(r *Reader, v Version) ([]*Frame, error) {
	r.SetVersion(v)
	frames, err := readAll(r)
	for _, f := range frames {
		_ = f.String()
	}
	return frames, err
}

func checkFuzzErr(t *testing.T, v Version, err error) {
	t.Helper()
	var pe *ProtocolError
	if err != nil && err != io.ErrUnexpectedEOF && !errors.As(err, &pe) {
		t.Fatalf("%s: unexpected error type %T: %v", v, err, err)
	}
}

func sameErr(a, b error) bool {
	var pa, pb *ProtocolError
	if errors.As(a, &pa) && errors.As(b, &pb) {
		return pa.Msg == pb.Msg
	}
	return a == b
}

func checkRoundTrip(t *testing.T, v Version, f *Frame) {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.SetVersion(v)
	if err := w.WriteFrame(f); err != nil {
		t.Fatalf("%s: cannot write frame that was read: %v: %v", v, f, err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r := NewReader(bytes.NewReader(buf.Bytes()), Limits{})
	r.SetVersion(v)
	got, err := r.ReadFrame()
	if err != nil {
		t.Fatalf("%s: cannot read back %q: %v", v, buf.Bytes(), err)
	}
	if msg := diffFrames(f, got); msg != "" {
		t.Fatalf("%s: round trip %s:\n read  %#v\n wrote %q\n back  %#v", v, msg, f, buf.Bytes(), got)
	}
	if _, err := r.ReadFrame(); err != io.EOF {
		t.Fatalf("%s: trailing data after %q: %v", v, buf.Bytes(), err)
	}
}
