package transport

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseListener(t *testing.T) {
	tests := []struct {
		uri     string
		want    Listener
		wantErr string
	}{
		{uri: "stomp://127.0.0.1:0", want: Listener{Scheme: "stomp", Addr: "127.0.0.1:0"}},
		{uri: "stomp+ssl://127.0.0.1:61614?needClientAuth=true", want: Listener{Scheme: "stomp+ssl", Addr: "127.0.0.1:61614", TLS: true, ClientAuth: NeedClientCert}},
		{uri: "stomp+ssl://127.0.0.1:61614?wantClientAuth=true", want: Listener{Scheme: "stomp+ssl", Addr: "127.0.0.1:61614", TLS: true, ClientAuth: WantClientCert}},
		{uri: "stomp+ssl://127.0.0.1:61614?needClientAuth=false", want: Listener{Scheme: "stomp+ssl", Addr: "127.0.0.1:61614", TLS: true}},
		{uri: "stomp+ssl://[::1]:0?wantClientAuth=true&needClientAuth=true", want: Listener{Scheme: "stomp+ssl", Addr: "[::1]:0", TLS: true, ClientAuth: NeedClientCert}},
		{uri: "http://127.0.0.1:80", wantErr: `unknown scheme "http"`},
		{uri: "stomp://127.0.0.1", wantErr: "missing port"},
		{uri: "stomp://127.0.0.1:99999", wantErr: "0 to 65535"},
		{uri: "stomp://", wantErr: "no host:port"},
		{uri: "stomp://127.0.0.1:1?needClientAuth=true", wantErr: "only to stomp+ssl"},
		{uri: "stomp+ssl://127.0.0.1:1?needClientAuth=yes please", wantErr: "not true or false"},
		{uri: "stomp+ssl://127.0.0.1:1?needClientAut=true", wantErr: `unknown option "needClientAut"`},
		// ActiveMQ's transport. prefix; the TLS knobs are handed on as written.
		{uri: "stomp+ssl://127.0.0.1:1?transport.needClientAuth=true", want: Listener{Scheme: "stomp+ssl", Addr: "127.0.0.1:1", TLS: true, ClientAuth: NeedClientCert}},
		{uri: "stomp+ssl://127.0.0.1:1?wantClientAuth=true&needClientAuth=false", want: Listener{Scheme: "stomp+ssl", Addr: "127.0.0.1:1", TLS: true, ClientAuth: WantClientCert}},
		{uri: "stomp+ssl://127.0.0.1:1?enabledProtocols=TLSv1.2&transport.enabledCipherSuites=TLS_AES_128_GCM_SHA256", want: Listener{Scheme: "stomp+ssl", Addr: "127.0.0.1:1", TLS: true,
			TLSParams: map[string]string{"enabledProtocols": "TLSv1.2", "transport.enabledCipherSuites": "TLS_AES_128_GCM_SHA256"}}},
		{uri: "stomp://127.0.0.1:1?enabledProtocols=TLSv1.2", wantErr: "enabledProtocols applies only to stomp+ssl"},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			got, err := ParseListener(tt.uri)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.want.URI = tt.uri
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestWithAddr(t *testing.T) {
	l, err := ParseListener("stomp+ssl://127.0.0.1:0?needClientAuth=true")
	if err != nil {
		t.Fatal(err)
	}
	if got := l.WithAddr("127.0.0.1:4242"); got != "stomp+ssl://127.0.0.1:4242?needClientAuth=true" {
		t.Fatal(got)
	}
}
