package prov

import (
	"errors"
	"fmt"
	"strings"
)

// HQPrefix starts every HQ identity's name and no unit's.
const HQPrefix = "hq-"

// DefaultPrefix is the topic prefix of the units' topics.
const DefaultPrefix = "alpr/v1"

// MaxNameLen is the longest device or HQ name.
const MaxNameLen = 64

// UpTopics are the topics a unit publishes, below <prefix>/<device>/.
var UpTopics = []string{"state", "health", "selftest", "reads", "alerts", "audit", "events"}

// DownTopics are the topic filters HQ publishes to a unit, below
// <prefix>/<device>/.
var DownTopics = []string{"cmd/#", "ack"}

// ValidDevice reports why id cannot name a unit, or nil: see the package
// documentation for the rule.
func ValidDevice(id string) error {
	if err := validName(id); err != nil {
		return fmt.Errorf("prov: device id %q: %w", id, err)
	}
	if len(id) >= len(HQPrefix) && strings.EqualFold(id[:len(HQPrefix)], HQPrefix) {
		return fmt.Errorf("prov: device id %q: must not start with %q, which names HQ identities", id, HQPrefix)
	}
	return nil
}

// ValidHQ reports why name cannot name an HQ identity, or nil: it starts with
// HQPrefix followed by at least one character.
func ValidHQ(name string) error {
	if err := validName(name); err != nil {
		return fmt.Errorf("prov: HQ name %q: %w", name, err)
	}
	if !strings.HasPrefix(name, HQPrefix) || len(name) == len(HQPrefix) {
		return fmt.Errorf("prov: HQ name %q: want %q followed by a name, e.g. hq-main", name, HQPrefix)
	}
	return nil
}

func validName(s string) error {
	if s == "" {
		return errors.New("empty")
	}
	if len(s) > MaxNameLen {
		return fmt.Errorf("%d bytes, want at most %d", len(s), MaxNameLen)
	}
	for i, r := range s {
		alnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if i == 0 && !alnum {
			return fmt.Errorf("starts with %q, want a letter or digit", r)
		}
		if !alnum && r != '-' && r != '_' && r != '.' {
			return fmt.Errorf("holds %q, want letters, digits, '-', '_' and '.' only", r)
		}
	}
	return nil
}

// ValidPrefix reports why prefix cannot be the units' topic prefix, or nil:
// one or more non-empty topic levels with no wildcard ('+', '#'), no '%'
// (an ACL substitution), no white space, not starting with '$'.
func ValidPrefix(prefix string) error {
	if prefix == "" {
		return errors.New("prov: topic prefix: empty")
	}
	if strings.HasPrefix(prefix, "$") {
		return fmt.Errorf("prov: topic prefix %q: starts with '$', reserved by the broker", prefix)
	}
	for level := range strings.SplitSeq(prefix, "/") {
		if level == "" {
			return fmt.Errorf("prov: topic prefix %q: empty level", prefix)
		}
		if i := strings.IndexAny(level, "+#% \t\r\n\x00"); i >= 0 {
			return fmt.Errorf("prov: topic prefix %q: holds %q", prefix, level[i])
		}
	}
	return nil
}
