package stomp

import (
	"errors"
	"fmt"
)

// ProtocolError reports input that violates the STOMP framing rules or the
// Reader's Limits. After one, the stream position inside the frame is lost,
// so the Reader keeps returning it and the connection should be closed
// (after an ERROR frame carrying Msg, if the peer is to learn why).
type ProtocolError struct {
	Msg string
	// Receipt is the value of the frame's receipt header when the error
	// came after that header had been read ("" otherwise): the peer asked
	// to hear about this frame, and its ERROR must say which one it was
	// (receipt-id), even though the frame itself is lost.
	Receipt string
}

func (e *ProtocolError) Error() string { return "stomp: " + e.Msg }

func protoErrorf(format string, args ...any) *ProtocolError {
	return &ProtocolError{Msg: fmt.Sprintf(format, args...)}
}

// ErrInvalidFrame is wrapped by the errors the Writer returns for frames it
// refuses to put on the wire because no reader could parse them back. It is
// distinct from ProtocolError: it is the local program's mistake, not the
// peer's, and must not be reported to the peer.
var ErrInvalidFrame = errors.New("stomp: invalid frame")
