package tlsconf

import (
	"strings"
	"testing"
)

// FuzzParseKnobs: any parameter values either parse into knobs that make a
// consistent version range, or fail with an error naming the parameter.
func FuzzParseKnobs(f *testing.F) {
	f.Add("TLSv1.2,TLSv1.3", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "false")
	f.Add("TLSv1.3", "TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384,TLS_CHACHA20_POLY1305_SHA256", "true")
	f.Add("", "SSL_RSA_WITH_3DES_EDE_CBC_SHA", "")
	f.Fuzz(func(t *testing.T, protocols, suites, verify string) {
		params := map[string]string{}
		for k, v := range map[string]string{ParamEnabledProtocols: protocols, ParamEnabledCipherSuites: suites, "socket." + ParamVerifyHostName: verify} {
			if v != "" {
				params[k] = v
			}
		}
		k, err := ParseKnobs(params, true)
		if err != nil {
			if !strings.Contains(err.Error(), "=") {
				t.Fatalf("error names no parameter: %v", err)
			}
			return
		}
		if k.MinVersion != 0 && k.MaxVersion != 0 && k.MinVersion > k.MaxVersion {
			t.Fatalf("min %x > max %x for %q", k.MinVersion, k.MaxVersion, params)
		}
	})
}
