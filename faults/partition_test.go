package faults

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

func TestPartitionBlackholesAndUndoHeals(t *testing.T) {
	n, listen := newLinkedNetwork(t)
	old := dial(t, listen)
	mustRelay(t, old, "before")

	f, err := New("partition", testLink, Params{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Name() != "partition server-a->hub" {
		t.Errorf("Name() = %q", f.Name())
	}
	undo, err := f.Apply(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}

	// An open connection goes silent, and so does a new one: the proxy
	// accepts it, but nothing passes.
	mustBlackhole(t, old, "during, old connection")
	mustBlackhole(t, dial(t, listen), "during, new connection")

	if err := undo(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := undo(context.Background()); err != nil {
		t.Fatalf("second undo: %v", err)
	}
	mustRelay(t, dial(t, listen), "after")

	// Toxiproxy closes the connections that lived through the partition
	// when the timeout toxic is removed (documented on Partition). The
	// deadline only guards against a hung test.
	_ = old.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = old.Read(make([]byte, 64))
	var ne net.Error
	if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		t.Errorf("old connection after undo: err %v; want it closed (EOF or reset)", err)
	} else if !errors.Is(err, io.EOF) {
		t.Logf("old connection closed with %v", err)
	}
}

func TestPartitionsStack(t *testing.T) {
	n, listen := newLinkedNetwork(t)
	ctx := context.Background()
	f1, _ := New("partition", testLink, nil)
	f2, _ := New("partition", testLink, nil)
	undo1, err := f1.Apply(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	undo2, err := f2.Apply(ctx, n)
	if err != nil {
		t.Fatalf("second partition on the same link: %v", err)
	}
	if err := undo1(ctx); err != nil {
		t.Fatal(err)
	}
	// The second partition still holds.
	mustBlackhole(t, dial(t, listen), "one partition left")
	if err := undo2(ctx); err != nil {
		t.Fatal(err)
	}
	mustRelay(t, dial(t, listen), "healed")
}

func TestPartitionErrors(t *testing.T) {
	if _, err := New("partition", testLink, Params{"for": "3s"}); err == nil || err.Error() != `faults: partition: unknown field "for"; partition takes none` {
		t.Errorf("unknown param: %v", err)
	}
	f, _ := New("partition", testLink, nil)
	if _, err := f.Apply(context.Background(), NewNetwork()); err == nil {
		t.Error("Apply on a network without the link succeeded")
	}
	n, _ := newLinkedNetwork(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.Apply(ctx, n); !errors.Is(err, context.Canceled) {
		t.Errorf("Apply with a cancelled context: %v", err)
	}
	p, _ := n.Proxy(testLink)
	if got := p.Toxics.GetToxicArray(); len(got) != 0 {
		t.Errorf("a failed Apply left %d toxics behind", len(got))
	}
}

func TestResetClosesConnections(t *testing.T) {
	n, listen := newLinkedNetwork(t)
	c := dial(t, listen)
	mustRelay(t, c, "before")
	f, err := New("reset", testLink, Params{})
	if err != nil {
		t.Fatal(err)
	}
	undo, err := f.Apply(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("x"))
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 8)); err == nil {
		t.Fatal("the connection survived a reset")
	}
	undo(context.Background())
	mustRelay(t, dial(t, listen), "after")
}

func TestCutAfterBytes(t *testing.T) {
	n, listen := newLinkedNetwork(t)
	if _, err := New("cut", testLink, Params{"bytes": "x"}); err == nil {
		t.Fatal("bytes=x accepted")
	}
	f, err := New("cut", testLink, Params{"bytes": "3"})
	if err != nil {
		t.Fatal(err)
	}
	undo, err := f.Apply(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	defer undo(context.Background())
	c := dial(t, listen)
	c.Write([]byte("abcdef\n"))
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(c)
	if string(got) != "abc" {
		t.Fatalf("relayed %q (%v), want the first 3 bytes of the echo, then a close", got, err)
	}
}
