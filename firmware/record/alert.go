package record

import "time"

// Notice is the wording every alert carries: a hot list hit is a possible
// match that the officer must verify before acting on it.
const Notice = "possible match, verify before acting"

// Hot list entry sources.
const (
	SourceHQ     = "hq"     // from a hot list file signed by headquarters
	SourceManual = "manual" // entered on the unit by an officer
)

// HotEntry is one hot list entry as the unit matches, shows and reports it.
type HotEntry struct {
	Plate     string `json:"plate"`           // normalised: A-Z 0-9 only
	State     string `json:"state,omitempty"` // issuing jurisdiction ("CA"); empty matches any
	Type      string `json:"type"`            // list type code, e.g. "SV" (stolen vehicle); see docs/hotlist-format.md
	Priority  int    `json:"priority"`        // 1 (highest) to 3
	Reason    string `json:"reason"`
	Case      string `json:"case"`       // case number
	Agency    string `json:"agency"`     // originating agency (ORI)
	EnteredBy string `json:"entered_by"` // who entered it
	Entered   Millis `json:"entered"`
	Expires   Millis `json:"expires,omitzero"` // zero: no expiry
	Source    string `json:"source"`           // SourceHQ or SourceManual
}

// Match kinds of an alert.
const (
	MatchExact    = "exact"    // the normalised plate equals the entry
	MatchTolerant = "tolerant" // equal up to confusable characters and one edit
)

// Alert is a hot list hit: alpr/v1/<device>/alerts. It is a possible match
// only; Notice says so in every alert.
type Alert struct {
	V       int      `json:"v"`
	ID      string   `json:"id"` // 128-bit random, hex
	Device  string   `json:"device"`
	Time    Millis   `json:"time"` // when the unit raised the alert
	Notice  string   `json:"notice"`
	Match   string   `json:"match"`           // MatchExact or MatchTolerant
	Score   float64  `json:"score"`           // 0..1: how close the read is to the entry
	Matched string   `json:"matched"`         // the candidate text that matched the entry
	Retro   bool     `json:"retro,omitempty"` // found by checking a new entry against recent reads
	Entry   HotEntry `json:"entry"`
	Read    Read     `json:"read"`
}

// Disposition outcomes: what the officer found when verifying an alert.
const (
	Confirmed = "confirmed"  // the vehicle is the wanted one
	Misread   = "misread"    // the plate was read wrong
	NotWanted = "not_wanted" // the entry is no longer wanted (recovered, cancelled)
	Dismissed = "dismissed"  // not acted upon (e.g. could not verify)
)

// Outcomes lists the disposition outcomes in the order a console offers them.
var Outcomes = []string{Confirmed, Misread, NotWanted, Dismissed}

// Disposition is an officer's verdict on an alert: alpr/v1/<device>/events
// (kind "disposition") and the unit's own alert log.
type Disposition struct {
	V       int    `json:"v"`
	Alert   string `json:"alert"` // alert ID
	Device  string `json:"device"`
	Outcome string `json:"outcome"` // one of Outcomes
	Note    string `json:"note,omitempty"`
	By      string `json:"by"` // the logged-in user
	Time    Millis `json:"time"`
}

// Audit is one access to criminal-justice data on the unit: who, when, what
// and why. alpr/v1/<device>/audit.
type Audit struct {
	V       int    `json:"v"`
	ID      string `json:"id"`
	Device  string `json:"device"`
	Time    Millis `json:"time"`
	User    string `json:"user"`
	Action  string `json:"action"`           // e.g. "login", "hotlist.add", "watch", "alert.dispose"
	Object  string `json:"object,omitempty"` // what was accessed: a plate, an alert ID, "hotlist"
	Purpose string `json:"purpose"`          // why, as the user gave it at login
	Case    string `json:"case,omitempty"`   // case number, where there is one
	Result  string `json:"result"`           // "ok", "denied" or the error
}

// IsZero reports whether m is the zero time (for omitzero).
func (m Millis) IsZero() bool { return time.Time(m).IsZero() }
