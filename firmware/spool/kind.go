package spool

import "strconv"

// Kind says what a record carries. It is stored in each record's header and
// decides the record's fate under the size cap: Alert and Audit records are
// protected (never dropped), the others may be dropped oldest first.
type Kind byte

// The kinds of record. The values are part of the on-disk format.
const (
	Read   Kind = 1 // a plate read (with its crop)
	Alert  Kind = 2 // a hot-list hit
	Audit  Kind = 3 // an audit record (who accessed what, why)
	Event  Kind = 4 // an operational event
	Health Kind = 5 // a health report
)

// Kinds lists every kind in value order.
var Kinds = []Kind{Read, Alert, Audit, Event, Health}

const numKinds = 5

// String returns the kind's lower-case name ("read", "alert", ...), or
// "kind(N)" for a value that is not a kind.
func (k Kind) String() string {
	switch k {
	case Read:
		return "read"
	case Alert:
		return "alert"
	case Audit:
		return "audit"
	case Event:
		return "event"
	case Health:
		return "health"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Valid reports whether k is one of the kinds above.
func (k Kind) Valid() bool { return k >= Read && k <= Health }

// Protected reports whether the size cap must never drop records of kind k
// (Alert and Audit).
func (k Kind) Protected() bool { return k == Alert || k == Audit }
