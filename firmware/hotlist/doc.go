// Package hotlist keeps the unit's hot list and matches reads against it.
//
// The hot list is headquarters' list of wanted plates (stolen vehicles,
// Amber alerts, wanted persons' vehicles...) plus the entries officers add by
// hand on the unit. A hit is a possible match that the officer verifies
// (record.Notice).
//
// # Files
//
// HQ sends signed files (docs/hotlist-format.md): a snapshot replaces its
// list, a delta changes the version it is based on. Store.Apply accepts a
// file whole or refuses it whole, with an error naming every bad row (up to
// 20) by line: the list in force stays. Only files signed by a key of the
// unit's hqsign.Keyring are accepted, with a version greater than the one in
// force. The Store keeps the accepted files and the manual entries in Files
// (the unit's encrypted vault) and Open verifies them again at start.
//
// # Matching
//
// Store.Match takes the top candidate texts of one plate read and returns
// the entries they match, best first: exactly, or tolerantly (equal up to
// the characters OCR confuses, 0/O/D/Q, 1/I, 2/Z, 5/S, 6/G, 8/B, and one
// edit on plates of 5 characters or more). Entries of another state than the
// read's, and expired entries, do not match. A List is an immutable index:
// the Store swaps Lists atomically, so matching never waits for a file being
// loaded.
//
// The budgets for 1,000,000 entries (load a signed snapshot, signature
// included, under 1 s; exact lookup under 1 µs; tolerant match of 10
// candidates under 50 µs; under 150 bytes of heap per entry) are measured by
// BenchmarkLoad (which reports B/entry), BenchmarkLookup and BenchmarkMatch.
//
// # Recent reads
//
// A Recent keeps the last hours of reads so that an entry added later (by an
// HQ file, Report.New, or by an officer) finds a car that passed before:
// Recent.CheckList and Recent.Check. The read's identity and payload stay
// opaque to this package.
package hotlist
