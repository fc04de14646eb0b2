package broker

import "github.com/brokerlab/brokerlab/broker/stomp"

// Batched acknowledgements between brokers. A network consumer is a
// client-ack (cumulative) subscription, and the receiving broker handles a
// bridge's MESSAGE frames in order, storing and routing each before the
// next: so acknowledging the latest message of a subscription acknowledges
// every earlier one, and it may be sent whenever convenient. ackLater
// records it and queues one lazy item for the writer, which makes the ACK
// frames only when it gets there; everything ingested meanwhile rides on
// the same frames. Under load that is one ACK per write burst instead of
// one per message.

func (br *bridge) ackLater(sub, id string) {
	if id == "" {
		return
	}
	br.ackMu.Lock()
	if br.acks == nil {
		br.acks = map[string]string{}
	}
	br.acks[sub] = id
	queued := br.ackQueued
	br.ackQueued = true
	br.ackMu.Unlock()
	if !queued {
		br.c.enqueue(outItem{lazy: br.takeAcks})
	}
}

// takeAcks makes the ACK frames owed now; called by the writer.
func (br *bridge) takeAcks() []*stomp.Frame {
	br.ackMu.Lock()
	defer br.ackMu.Unlock()
	fs := make([]*stomp.Frame, 0, len(br.acks))
	for sub, id := range br.acks {
		fs = append(fs, stomp.New(stomp.ACK, "id", id))
		delete(br.acks, sub)
	}
	br.ackQueued = false
	return fs
}
