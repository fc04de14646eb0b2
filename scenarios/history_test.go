package scenarios

import (
	"errors"
	"testing"
)

func TestCheck(t *testing.T) {
	h := &History{}
	for i := 1; i <= 5; i++ {
		h.addSend(Send{Producer: "p", Seq: i})
	}
	h.addSend(Send{Producer: "p", Seq: 6, Err: errors.New("no receipt")}) // not owed
	for _, seq := range []int{1, 3, 2, 3, 5} {
		h.addDelivery(Delivery{Consumer: "c", Producer: "p", Seq: seq})
	}
	v := h.Check()
	if v.Sent != 5 || v.Received != 5 || v.Lost != 1 || v.Duplicates != 1 || v.OutOfOrder != 1 {
		t.Fatalf("verdict %+v", v)
	}
	if v.LostKeys[0] != "p#4" || v.DupKeys[0] != "p#3" || v.OrderNote != "c received p#2 after #3" {
		t.Fatalf("details %+v", v)
	}
}
