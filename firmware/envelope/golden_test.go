package envelope

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "seal testdata/*.env again")

// TestGolden opens envelopes sealed by an earlier build with the fixed test
// keys: the v1 format must keep opening. go test -run Golden -update seals
// them again (only when the format version changes).
func TestGolden(t *testing.T) {
	payload := []byte(`{"v":1,"id":"4f1c2a9d0e6b4c7a8d3e2f1a0b9c8d7e","device":"unit-0001","plate":"7ABC123"}`)
	for _, s := range Suites() {
		t.Run(string(s), func(t *testing.T) {
			r := newRig(t, s)
			path := filepath.Join("testdata", "v1-"+string(s)+".env")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, r.seal(t, 0, KindRead, 12345, payload), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			h, p, err := r.opener.Open(b)
			if err != nil {
				t.Fatal(err)
			}
			want := Header{Version: 1, Kind: KindRead, Suite: s, KEM: s.KEMID(), KDF: KDFHKDFSHA256, AEAD: AEADAES256GCM,
				Epoch: epoch, Seq: 12345, Device: "unit-0001", Created: testTime}
			if h != want {
				t.Errorf("header: got %+v, want %+v", h, want)
			}
			if !bytes.Equal(p, payload) {
				t.Errorf("payload: got %q, want %q", p, payload)
			}
		})
	}
}
