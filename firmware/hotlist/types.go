package hotlist

// ListType is a hot list type: what the entry is wanted for.
type ListType struct {
	Code     string // e.g. "SV"
	Name     string // e.g. "stolen vehicle"
	Priority int    // default priority, 1 (highest) to 3
}

// listTypes are the known types, indexed by their internal number (0: none).
// docs/hotlist-format.md documents them; keep the two in step.
var listTypes = [...]ListType{
	{},
	{"AA", "Amber alert", 1},
	{"MP", "missing person", 1},
	{"SA", "Silver alert", 1},
	{"FV", "felony vehicle", 1},
	{"WV", "wanted person's vehicle", 2},
	{"SV", "stolen vehicle", 2},
	{"SP", "stolen plate", 2},
	{"BOLO", "be on the lookout", 2},
	{"PO", "protection order", 3},
	{"OT", "other", 3},
}

// Types returns the known list types, highest default priority first.
func Types() []ListType {
	out := make([]ListType, len(listTypes)-1)
	copy(out, listTypes[1:])
	return out
}

// LookupType returns the list type with code c.
func LookupType(c string) (ListType, bool) {
	if i := typeIndex([]byte(c)); i != 0 {
		return listTypes[i], true
	}
	return ListType{}, false
}

// typeIndex returns the internal number of code b; 0 when unknown.
func typeIndex(b []byte) uint8 {
	for i := 1; i < len(listTypes); i++ {
		if string(b) == listTypes[i].Code {
			return uint8(i)
		}
	}
	return 0
}
