package store

import (
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultSegmentSize is the size at which a segment is closed and the next
// one started, when Options.SegmentSize is 0.
const DefaultSegmentSize = 64 << 20

// Options configure a Store.
type Options struct {
	Dir         string // created if missing; one Store at a time (it is locked)
	SegmentSize int64  // 0: DefaultSegmentSize
	// NoSync skips every fsync: Append returns once the batch is written
	// to the kernel. Records then survive the process being killed but not
	// the machine losing power. For tests and benchmarks; the zero value
	// is the durable one.
	NoSync bool
	Logger *slog.Logger // nil: nothing is logged
	// OnFail, when set, is called once, from the committer, when a write
	// or sync fails and the store stops taking appends (see Err): the
	// failure happens on whichever append met it, and the owner may want
	// to hear of it apart from that one caller.
	OnFail func(error)
}

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("store: closed")

// Store is an append-only log of persistent messages and their acks.
// Append is safe for concurrent use.
type Store struct {
	opts Options
	log  *slog.Logger
	lock *os.File

	mu     sync.Mutex
	queue  []*request
	closed bool
	failed error         // sticky: after a failed write or sync nothing is known about the file
	wake   chan struct{} // cap 1: the queue is not empty, or the store is closing
	done   chan struct{} // closed when the committer has stopped

	// Owned by the committer goroutine (and by Open before it starts).
	st        *state
	f         *os.File // the active segment, open for appending
	nextBatch uint64
	wbuf      []byte
	syncTime  time.Duration // moving average of one write and fsync

	appends, records, batches, fsyncs, bytes atomic.Uint64
	live, segments                           atomic.Int64

	readMu  sync.Mutex
	readers map[uint64]*os.File // segments opened by Read, by number
}

// Stats are counters since Open.
type Stats struct {
	Appends  uint64 // Append calls that succeeded
	Records  uint64 // records written (acks of unknown IDs and repeated puts are not)
	Batches  uint64 // group commits: one write each
	Fsyncs   uint64 // syncs of segment data on the append path
	Bytes    uint64 // bytes written to segments
	Live     int    // messages put and not acked
	Segments int    // segment files on disk
}

// request is one Append call waiting for the committer. The payloads are
// encoded and checksummed by the caller, in parallel with other callers;
// the committer adds only the frame header, whose batch number it decides.
type request struct {
	recs []pending
	buf  []byte     // the payloads, back to back
	size int        // frame bytes, headers included
	locs []Location // where each record went, when the caller asked
	done chan error
}

type pending struct {
	kind       Kind
	id         string
	start, end int // payload in request.buf
	crc        uint32
}

var requestPool = sync.Pool{New: func() any { return &request{done: make(chan error, 1)} }}

// Open locks dir, replays every segment in it, cuts a torn tail off the
// last one, deletes segments nothing live depends on any more, and starts
// the committer. It fails rather than start empty or without messages it
// cannot read: see CorruptError.
func Open(o Options) (*Store, *Recovery, error) {
	if o.Dir == "" {
		return nil, nil, errors.New("store: Options.Dir is empty")
	}
	if o.SegmentSize <= 0 {
		o.SegmentSize = DefaultSegmentSize
	}
	s := &Store{opts: o, log: o.Logger, st: newState(), wake: make(chan struct{}, 1), done: make(chan struct{})}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if err := makeDir(o.Dir, !o.NoSync); err != nil {
		return nil, nil, err
	}
	lock, err := lockDir(o.Dir)
	if err != nil {
		return nil, nil, err
	}
	s.lock = lock
	rec, err := s.recover()
	if err != nil {
		lock.Close()
		return nil, nil, err
	}
	go s.run()
	return s, rec, nil
}

// makeDir creates dir if it is missing, and syncs its parent so that the
// new directory, and so the segments that will be synced into it, survive
// a power cut.
func makeDir(dir string, sync bool) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if sync {
		return syncDir(filepath.Dir(filepath.Clean(dir)))
	}
	return nil
}

func (s *Store) recover() (*Recovery, error) {
	segs, err := listSegments(s.opts.Dir)
	if err != nil {
		return nil, err
	}
	sync := !s.opts.NoSync
	rec := &Recovery{Segments: len(segs)}
	rp := &replayer{st: s.st, idx: map[string]int{}, sync: sync, nextBatch: 1}
	for i, seg := range segs {
		s.st.add(seg)
		t, err := rp.segment(seg, i == len(segs)-1)
		if err != nil {
			return nil, err
		}
		if t != nil {
			rec.Truncated = t
			s.log.Warn("store: cut a torn tail off the log", "file", t.File, "offset", t.Offset, "reason", t.Reason)
		}
	}
	rec.Records = rp.records
	rec.Messages = rp.live()
	s.nextBatch = rp.nextBatch

	if len(segs) == 0 {
		f, seg, err := createSegment(s.opts.Dir, 1, s.nextBatch, sync)
		if err != nil {
			return nil, err
		}
		s.f = f
		s.st.add(seg)
	} else {
		act := s.st.active()
		f, err := os.OpenFile(act.path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		s.f = f
	}
	if err := removeSegments(s.opts.Dir, s.st.collect(), sync); err != nil {
		s.f.Close()
		return nil, err
	}
	s.live.Store(int64(len(s.st.live)))
	s.segments.Store(int64(len(s.st.segs)))
	s.log.Info("store: opened", "dir", s.opts.Dir, "segments", len(s.st.segs), "records", rec.Records, "live", len(rec.Messages))
	return rec, nil
}

// Append writes recs as one batch, in order, and returns once they are on
// disk (unless NoSync). Concurrent calls share one write and one fsync:
// see doc.go. The records of one call are recovered all or none. A put of
// an ID that is live already, and an ack of an ID that is not, are no-ops.
func (s *Store) Append(recs ...Record) error {
	return s.append(recs, nil)
}

// AppendAt is Append, and also says where each record went, so that a
// message's body can be dropped from memory and read back with Read. A
// record that was a no-op (a put of a live ID, an ack) gets the zero
// Location.
func (s *Store) AppendAt(recs ...Record) ([]Location, error) {
	return s.AppendAsync(recs...).Wait()
}

// Pending is an append under way: AppendAsync has queued it, Wait says
// when it is on disk. Appends complete in the order they were queued, so a
// caller that queues several and waits for them in turn sees them land in
// that order.
type Pending struct {
	s    *Store
	req  *request
	locs []Location
	err  error // a failure before the request was queued
}

// AppendAsync queues recs as one batch, as Append does, without waiting:
// a connection can have many appends in one group commit instead of one.
func (s *Store) AppendAsync(recs ...Record) *Pending {
	p := &Pending{s: s, locs: make([]Location, len(recs))}
	p.req, p.err = s.submit(recs, p.locs)
	return p
}

// Wait returns once the records are on disk (unless NoSync), with where
// each put went. It may be called once.
func (p *Pending) Wait() ([]Location, error) {
	if p.err != nil || p.req == nil {
		return p.locs, p.err
	}
	return p.locs, p.s.wait(p.req)
}

func (s *Store) append(recs []Record, locs []Location) error {
	req, err := s.submit(recs, locs)
	if err != nil || req == nil {
		return err
	}
	return s.wait(req)
}

// submit encodes recs and queues them for the committer; nil and no error
// when there is nothing to write.
func (s *Store) submit(recs []Record, locs []Location) (*request, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	req := requestPool.Get().(*request)
	req.recs, req.buf, req.size, req.locs = req.recs[:0], req.buf[:0], 0, locs
	for i := range recs {
		r := &recs[i]
		if r.Kind != Put && r.Kind != Ack {
			return nil, fmt.Errorf("store: record %d: unknown kind %d", i, r.Kind)
		}
		if r.ID == "" {
			return nil, fmt.Errorf("store: record %d: empty ID", i)
		}
		if n := payloadSize(r); n > MaxRecordSize {
			return nil, fmt.Errorf("store: record %q: %d bytes, over the limit of %d", r.ID, n, MaxRecordSize)
		}
		start := len(req.buf)
		req.buf = appendPayload(req.buf, r)
		p := req.buf[start:]
		req.recs = append(req.recs, pending{kind: r.Kind, id: r.ID, start: start, end: len(req.buf), crc: crc32.Checksum(p, castagnoli)})
		req.size += frameHeaderSize + len(p)
	}

	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		return nil, ErrClosed
	case s.failed != nil:
		err := s.failed
		s.mu.Unlock()
		return nil, err
	}
	s.queue = append(s.queue, req)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return req, nil
}

func (s *Store) wait(req *request) error {
	err := <-req.done
	req.locs = nil
	if cap(req.buf) <= 1<<20 { // do not pin big bodies in the pool
		requestPool.Put(req)
	}
	if err == nil {
		s.appends.Add(1)
	}
	return err
}

// Close waits for the appends already queued, syncs and closes the log.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.closed = true
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	<-s.done
	s.readMu.Lock()
	for num, f := range s.readers {
		f.Close()
		delete(s.readers, num)
	}
	s.readMu.Unlock()
	var err error
	if !s.opts.NoSync && s.failed == nil {
		err = s.f.Sync()
	}
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.lock.Close()
	if err != nil {
		return fmt.Errorf("store: close %s: %w", s.st.active().path, err)
	}
	return s.failed
}

// Err is the failure that made the store refuse appends, or nil. It is
// sticky: after a failed write or sync the file's contents are unknown
// until the next Open has replayed it, so the store stays failed, and a
// health check can say so instead of waiting for the next append to fail.
func (s *Store) Err() error { return s.failure() }

// Stats returns the counters.
func (s *Store) Stats() Stats {
	return Stats{
		Appends:  s.appends.Load(),
		Records:  s.records.Load(),
		Batches:  s.batches.Load(),
		Fsyncs:   s.fsyncs.Load(),
		Bytes:    s.bytes.Load(),
		Live:     int(s.live.Load()),
		Segments: int(s.segments.Load()),
	}
}
