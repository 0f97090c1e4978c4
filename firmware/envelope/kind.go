package envelope

import "fmt"

// Kind is the kind of message an envelope carries: one per MQTT message
// kind. Its value is the header's kind byte.
type Kind uint8

// The message kinds. Zero is not a kind.
const (
	KindRead     Kind = 1
	KindAlert    Kind = 2
	KindAudit    Kind = 3
	KindEvent    Kind = 4
	KindHealth   Kind = 5
	KindSelftest Kind = 6
	KindState    Kind = 7
)

var kindNames = [...]string{
	KindRead:     "read",
	KindAlert:    "alert",
	KindAudit:    "audit",
	KindEvent:    "event",
	KindHealth:   "health",
	KindSelftest: "selftest",
	KindState:    "state",
}

// Valid reports whether k is one of the kinds above.
func (k Kind) Valid() bool { return k >= KindRead && k <= KindState }

// String returns the kind's name ("read", "alert", ...), or "kind(N)".
func (k Kind) String() string {
	if k.Valid() {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// ParseKind returns the kind named s. It takes the names String returns and
// the MQTT topic levels of alpr/v1/<device>/<level> ("reads", "alerts",
// "events").
func ParseKind(s string) (Kind, error) {
	switch s {
	case "reads":
		return KindRead, nil
	case "alerts":
		return KindAlert, nil
	case "events":
		return KindEvent, nil
	}
	for k := KindRead; k <= KindState; k++ {
		if kindNames[k] == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("envelope: kind %q: want read, alert, audit, event, health, selftest or state", s)
}
