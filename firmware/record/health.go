package record

// Health is the unit's periodic report: alpr/v1/<device>/health.
type Health struct {
	V        int      `json:"v"`
	Device   string   `json:"device"`
	Firmware string   `json:"firmware"`
	Time     Millis   `json:"time"`
	UptimeS  float64  `json:"uptime_s"`
	Status   string   `json:"status"`             // "ok" or "warning"
	Warnings []string `json:"warnings,omitempty"` // what is wrong, in words

	Frames     uint64 `json:"frames"`
	Dropped    uint64 `json:"dropped"`
	Reads      uint64 `json:"reads"`
	Alerts     uint64 `json:"alerts"`
	OpenAlerts int    `json:"open_alerts"`

	Hotlist HotlistHealth `json:"hotlist"`
}

// HotlistHealth says which hot list the unit matches against.
type HotlistHealth struct {
	Version uint64  `json:"version"` // HQ list version; 0: none loaded
	Created Millis  `json:"created,omitzero"`
	AgeH    float64 `json:"age_h"`   // hours since HQ made the list
	Entries int     `json:"entries"` // HQ entries
	Manual  int     `json:"manual"`  // entries added on the unit
	Stale   bool    `json:"stale"`   // older than hotlist.max_age_h, or none
}

// SelfTest is the unit's proof that it works: alpr/v1/<device>/selftest, at
// start and when HQ asks. Every part is checked; OK only when all are.
type SelfTest struct {
	V        int     `json:"v"`
	ID       string  `json:"id"`
	Device   string  `json:"device"`
	Firmware string  `json:"firmware"`
	Time     Millis  `json:"time"`
	Reason   string  `json:"reason"` // "start", "command"
	OK       bool    `json:"ok"`
	Checks   []Check `json:"checks"`
}

// Check is one part's result in a self-test.
type Check struct {
	Name   string `json:"name"` // camera, illuminator, ocr, storage, clock, link, hotlist
	OK     bool   `json:"ok"`
	Fatal  bool   `json:"fatal,omitempty"` // the unit cannot do its job without it
	Detail string `json:"detail"`
}
