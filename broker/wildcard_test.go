package broker

import "testing"

func TestMatchDest(t *testing.T) {
	tests := []struct {
		pattern, dest string
		want          bool
	}{
		{"/topic/PRICE.>", "/topic/PRICE.STOCK", true},
		{"/topic/PRICE.>", "/topic/PRICE.STOCK.NASDAQ.ORCL", true},
		{"/topic/PRICE.>", "/topic/PRICE", true}, // as ActiveMQ 5.17 delivers
		{"/topic/PRICE.>", "/topic/PRICEX", false},
		{"/topic/PRICE.STOCK.>", "/topic/PRICE", false},
		{"/topic/PRICE.STOCK.*.IBM", "/topic/PRICE.STOCK.NYSE.IBM", true},
		{"/topic/PRICE.STOCK.*.IBM", "/topic/PRICE.STOCK.NYSE.ORCL", false},
		{"/topic/PRICE.STOCK.NASDAQ.*", "/topic/PRICE.STOCK.NASDAQ.ORCL", true},
		{"/topic/PRICE.STOCK.NASDAQ.*", "/topic/PRICE.STOCK.NASDAQ.ORCL.X", false},
		{"/queue/a.>", "/topic/a.b", false},
		{"/queue/>", "/queue/anything.at.all", true},
		{"/queue/a.b", "/queue/a.b", true},
		{"/queue/*", "/queue/a.b", false},
	}
	for _, tt := range tests {
		if got := matchDest(tt.pattern, tt.dest); got != tt.want {
			t.Errorf("matchDest(%q, %q) = %v, want %v", tt.pattern, tt.dest, got, tt.want)
		}
	}
	if matchFilter("/queue/private.>", "/queue/private") || !matchFilter("/queue/private.>", "/queue/private.x") {
		t.Fatal("a connector filter's '>' needs at least one name, as ActiveMQ's PrefixDestinationFilter")
	}
	if !isPattern("/queue/a.*") || !isPattern("/topic/>") || isPattern("/queue/a.b") || isPattern("/queue/a*b") {
		t.Fatal("isPattern")
	}
}
