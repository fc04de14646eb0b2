//go:build linux

package broker

import (
	"net"
	"syscall"
)

// tcpEstablished is Linux's TCP_ESTABLISHED (include/net/tcp_states.h).
const tcpEstablished = 1

// peerGone reports whether the peer of nc has closed or reset its TCP
// connection, by the socket's state in the kernel (CLOSE_WAIT once the
// peer's FIN arrived, CLOSE once it reset), without reading from it: so
// it is safe under TLS, leaves unread frames where they are, and sees a
// FIN behind data that no read would reach while the reader is paused.
// known is false when nc is not a TCP connection (net.Pipe in tests).
func peerGone(nc net.Conn) (gone, known bool) {
	sc := rawTCP(nc)
	if sc == nil {
		return false, false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false, false
	}
	var info [4]byte
	var gerr error
	cerr := rc.Control(func(fd uintptr) {
		// tcp_info's first byte is tcpi_state; the kernel copies as much
		// of the struct as asked for, and this is the standard library's
		// one getsockopt that reads raw bytes.
		info, gerr = syscall.GetsockoptInet4Addr(int(fd), syscall.IPPROTO_TCP, syscall.TCP_INFO)
	})
	if cerr != nil || gerr != nil {
		return false, false
	}
	return info[0] != tcpEstablished, true
}
