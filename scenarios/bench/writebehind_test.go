package bench

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// Everything written arrives, in order, however the writes were batched.
func TestBenchWriteBehindKeepsOrder(t *testing.T) {
	a, b := net.Pipe()
	w := newWriteBehind(a)
	defer w.Close()
	var want bytes.Buffer
	var frames [][]byte
	for i := range 2000 {
		frame := bytes.Repeat([]byte{byte('a' + i%26)}, 1+i%700)
		frames = append(frames, frame)
		want.Write(frame)
	}
	got := make(chan []byte, 1)
	go func() {
		data := make([]byte, want.Len())
		n, _ := io.ReadFull(b, data)
		got <- data[:n]
	}()
	for i, frame := range frames {
		if n, err := w.Write(frame); err != nil || n != len(frame) {
			t.Fatalf("write %d: %d, %v", i, n, err)
		}
	}
	select {
	case data := <-got:
		if !bytes.Equal(data, want.Bytes()) {
			t.Errorf("read %d bytes, wrote %d; equal prefix %d", len(data), want.Len(), commonPrefix(data, want.Bytes()))
		}
	case <-time.After(time.Minute): // a guard against hanging, not a timing assertion
		t.Fatal("the reader did not get every byte")
	}
}

func commonPrefix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// A peer that stops reading fills the buffer, and then Write blocks (TCP
// push-back reaches the producer); closing the connection releases it with
// an error, and every later Write fails.
func TestBenchWriteBehindBlocksWhenFullAndCloseReleases(t *testing.T) {
	a, _ := net.Pipe() // nobody reads
	w := newWriteBehind(a)
	var wg sync.WaitGroup
	wg.Add(1)
	var err error
	go func() {
		defer wg.Done()
		chunk := make([]byte, 64<<10)
		for i := 0; i < 100; i++ {
			if _, err = w.Write(chunk); err != nil {
				return
			}
		}
	}()
	time.Sleep(50 * time.Millisecond) // let it fill up and block
	w.Close()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a Write blocked on a full buffer was not released by Close")
	}
	if err == nil {
		t.Error("writes into a connection nobody reads all succeeded")
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Error("Write after Close succeeded")
	}
}

// A write error is returned by the next Write.
func TestBenchWriteBehindReportsWriteError(t *testing.T) {
	a, b := net.Pipe()
	b.Close() // writes to a now fail
	w := newWriteBehind(a)
	defer w.Close()
	w.Write([]byte("first")) // queued; its write fails in the background
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := w.Write([]byte("next"))
		if err != nil {
			if !errors.Is(err, io.ErrClosedPipe) {
				t.Errorf("error %v, want the pipe's", err)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the write error was never reported")
		}
		time.Sleep(time.Millisecond)
	}
}
