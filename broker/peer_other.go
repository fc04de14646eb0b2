//go:build !linux

package broker

import "net"

// peerGone cannot tell, here, whether the peer of a paused producer has
// gone without reading from its connection: such a producer is noticed
// once its destination has room again and its connection is read.
func peerGone(net.Conn) (gone, known bool) { return false, false }
