// Package hq is the reference headquarters receiver behind the alprhq
// command: it subscribes to the units' MQTT topics, opens their envelopes
// (package alprd/firmware/envelope), stores what they carry in SQLite,
// acknowledges each unit's highest contiguous sequence and applies the
// retention rule. docs/hq.md describes the database and the operation.
//
// # Receiving
//
// A Receiver subscribes (QoS 1, persistent session) to
// <prefix>/+/{state,health,selftest,reads,alerts,audit,events}. Each message
// is checked in this order, and the first failure refuses it:
//
//  1. the envelope header parses (reason "format");
//  2. the header's device is the topic's device ("topic_device"): a unit
//     cannot post into another unit's topic, even replaying that unit's
//     envelopes;
//  3. envelope.Opener.Open: device key, signature, key epoch, decryption
//     ("unknown_device", "signature", "unknown_epoch", "decrypt"), and the
//     sequence is 1 to 2^63-1 ("format");
//  4. the payload decodes as its kind's JSON ("payload").
//
// The message is stored by the kind in its signed header; one on another
// kind's topic is counted (Counters.OtherTopic) and logged, not refused.
//
// Refusals are counted by reason, logged without payload (rate-limited per
// reason) and stored in the refused table. Refusals 1 to 3 leave the sequence
// missing: a key or configuration mistake at HQ can be fixed and the unit's
// resend accepted. A "payload" refusal comes from an authentic envelope
// that would only arrive again with the same bytes, so its sequence counts as
// received (the ack passes it) though nothing is stored but the refusal.
//
// Accepted messages are stored, with their (device, seq) in the received
// table, in one SQLite transaction; a (device, seq) already there is a
// duplicate (QoS 1 redelivery, the unit resending after a reconnect): it is
// counted and nothing else is written. Only after the commit is the MQTT
// message acknowledged (PUBACK), so a crash loses nothing the broker or the
// unit will not send again. A failing database is retried with backoff while
// the message stays unacknowledged; the broker's in-flight window then
// stops the flow.
//
// # Acknowledgement
//
// Per device the Receiver tracks the highest sequence N such that 1..N were
// all received or declared dropped by the unit (an event
// {"type":"dropped","ranges":[[from,to],...]}), and publishes {"v":1,"seq":N}
// on <prefix>/<device>/ack (QoS 1, not retained) when N advances, at most once
// per AckInterval per device (later advances within the interval are
// coalesced into one ack at its end). A duplicate, a unit coming online
// (retained state) and HQ reconnecting re-send the current ack, so a unit
// that missed one is not left resending forever. N is written in the same
// transaction as the message that advanced it, and the messages above N are
// reloaded from the database on start: contiguity and de-duplication survive
// a restart.
//
// # Retention
//
// Store.Purge deletes reads captured before a time unless a case holds them
// (Store.Hold); deleted content is overwritten (secure_delete) and the
// write-ahead log truncated.
package hq
