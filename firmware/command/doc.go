// Package command signs and verifies the commands headquarters sends to a
// unit on alpr/v1/<device>/cmd/<name>, and shapes the report the unit sends
// back on its events topic.
//
// The broker's ACL lets only HQ publish commands, but the unit does not trust
// the broker: a command counts only if it carries a valid Ed25519 signature
// (package hqsign) by a key of the unit's keyring. The wire format is in
// docs/commands.md: a JSON message whose "signed" member is a string holding
// the exact bytes that were signed (a JSON object: device, name, seq, issued,
// expires, args), so that no re-encoding can change what the signature
// covers.
//
// Sign makes a message (for HQ and tools/alprcmd). A Verifier accepts a
// message on the unit when, in this order: it is well formed around the
// signature, its signature is valid, the signed part is well formed, it is
// addressed to this unit, its name is the topic's command name, it has not
// expired, it was not issued in the future (beyond MaxSkew), and its seq is
// greater than that of every command accepted before. The seq is recorded
// durably in Files (the unit's sealed vault) before Verify returns success,
// so a command is never accepted twice, across restarts or concurrent calls.
// Each refusal wraps one of the Err* sentinels; Reason names it in a Result.
package command
