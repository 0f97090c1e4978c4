// Package spool is the unit's durability boundary: every message for HQ
// (reads, alerts, audit records, events, health), already encrypted, is
// appended here before it is sent, and deleted only once HQ acknowledged it.
// The unit may lose power at any moment: a record whose Append returned is
// never lost (short of the size cap, below) and never duplicated.
//
// # Records and sequences
//
// Append(kind, build) numbers the record, calls build(seq) for its payload
// (the encrypted envelope, which binds the sequence) and returns once the
// record is fdatasync'ed. Sequences start at 1, increase in Append call
// order, and are never given to two stored records, across restarts too:
// the next sequence is kept in the cursor file whenever the segment holding
// the highest one is deleted. A sequence whose record never became durable
// (build error, cap refusal, crash before the commit) is either reported by
// Dropped or, after a crash, given out again: such a payload never left the
// process.
//
// # Group commit
//
// Builds run concurrently; one committer goroutine writes the ready records
// in sequence order with one write and one fdatasync per batch. It flushes
// when Options.CommitCount records are ready, when as many are ready as the
// previous batch carried (concurrent appenders are batched without waiting
// and a lone appender does not wait at all), or Options.CommitInterval after
// the first ready record, whichever comes first.
//
// # Storage
//
// The directory holds segment files named by their base sequence
// ("00000000000000000001.seg"), appended to until they reach
// Options.SegmentBytes, a "cursor" file (ack cursor and next sequence,
// replaced atomically: temp file, fsync, rename, fsync of the directory) and
// a "LOCK" file (flock: one Spool per directory). Each record is framed as
// length, CRC-32C, sequence, kind, payload; docs/spool.md gives the bytes.
// The index of unacknowledged records (16 bytes each) is kept in memory;
// payloads are read from the files when Pending asks for them.
//
// # Sending and acknowledging
//
// Pending(after, n, kinds...) returns stored records above a sequence,
// filtered by kind, in order: a sender keeps an alert lane and a bulk lane
// and drains the alerts first. Notify and Wait wake it when records arrive.
// Ack(seq) takes HQ's highest contiguous acknowledgement: the cursor is
// written atomically, then segments holding only acknowledged records are
// deleted. Acks at or below the cursor are ignored; acks beyond
// Stats().Last fail with ErrAckAhead.
//
// # Size cap
//
// With Options.MaxBytes set, a commit that would push the segment files
// over it first frees the oldest segment holding anything other than
// unacknowledged Alert and Audit records: its Read, Event and Health
// records are dropped (counted in Stats().Dropped), and it is rewritten
// atomically with only its Alert and Audit records, or deleted. This
// repeats, oldest segment first, until the batch fits. Droppable records
// of the batch that still do not fit are refused with ErrFull; Alert and
// Audit records are always accepted, even beyond the cap (the cap is then
// exceeded until HQ acknowledges them, and a full file system fails the
// write). While Alert and Audit records alone fill the cap, droppable
// appends fail with ErrFull at once, without taking a sequence. Dropped()
// lists every sequence that will never be stored, so that the sender can
// tell HQ and HQ's contiguous acknowledgement can pass them.
//
// # Recovery
//
// Open scans every segment and verifies every record (length bound, kind,
// CRC, sequence increasing within the segment's range). A damaged record is
// skipped up to the next offset where a whole valid record starts. When no
// valid record follows in the last segment, the damage is a torn write:
// the file is cut after the last valid record and a warning logged; if the
// damaged record's header still names a plausible sequence, that sequence
// is not given out again (it may have been durable and sent). Damage
// followed by valid records, or at the end of an older segment, is
// corruption: the records after it are kept (resynchronised), the damaged
// bytes and the records in them are lost, reported as an error in the log,
// in Stats().CorruptBytes and in Dropped. Open never fails for damaged
// content, only for I/O errors. An unreadable cursor file is logged and
// treated as "nothing acknowledged" (HQ de-duplicates what it sees again).
//
// # Failures
//
// A failed segment write or fdatasync breaks the Spool: the batch's Appends
// and every later one fail with ErrBroken (the page cache can no longer be
// trusted); Close and Open it again to recover from what is on disk. An
// Append that failed may still find its record on disk after that reopen.
package spool
