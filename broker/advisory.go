package broker

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/brokerlab/brokerlab/broker/stomp"
)

// AdvisoryNetworkBridge is where a broker announces its bridges starting
// and stopping, shaped like ActiveMQ's advisory so that a plain STOMP
// client can watch a network form: headers started, createdByDuplex,
// remoteIp, remoteBrokerName, networkConnectorName; a JSON body.
const AdvisoryNetworkBridge = "/topic/ActiveMQ.Advisory.NetworkBridge"

// isAdvisory: advisories describe one broker and never cross a bridge.
func isAdvisory(dest string) bool { return strings.HasPrefix(dest, "/topic/ActiveMQ.Advisory.") }

// advise publishes a bridge's start or stop on the advisory topic.
func (b *Broker) advise(br *bridge, started bool) {
	remoteIP := br.c.remote
	if i := strings.LastIndex(remoteIP, ":"); i > 0 {
		remoteIP = remoteIP[:i]
	}
	createdByDuplex := br.duplex && !br.dialer
	body, _ := json.Marshal(map[string]any{
		"started": started, "createdByDuplex": createdByDuplex, "remoteIp": remoteIP, "remoteAddress": br.c.remote,
		"remoteBrokerName": br.peer, "localBrokerName": b.cfg.Name, "networkConnectorName": br.link, "duplex": br.duplex,
	})
	m := &message{id: b.nextID("ID:" + b.cfg.Name + "-advisory"), dest: AdvisoryNetworkBridge, path: []string{b.cfg.Name}, body: body,
		headers: []stomp.Header{
			{Key: "started", Value: strconv.FormatBool(started)},
			{Key: "createdByDuplex", Value: strconv.FormatBool(createdByDuplex)},
			{Key: "remoteIp", Value: remoteIP},
			{Key: "remoteBrokerName", Value: br.peer},
			{Key: "networkConnectorName", Value: br.link},
			{Key: "content-type", Value: "application/json"},
		}}
	b.route(m)
}
