// Package hqsign signs and verifies what headquarters sends to units: hot
// list files and commands.
//
// HQ signs with Ed25519 (RFC 8032). Keys travel as PEM: the private key as a
// PKCS#8 "PRIVATE KEY" block, the public key as a PKIX "PUBLIC KEY" block
// (the provisioning tool writes them in exactly this form). A key is named by
// its key id: the lower-case hex of the first 8 bytes of SHA-256 over the
// public key's PKIX DER (16 hex digits), so a signature says which key made
// it.
//
// A unit trusts a Keyring: one or more HQ public keys, so that HQ can rotate
// its key (sign with the new one while units still trust both, then drop the
// old one). Verify tells an unknown key (ErrUnknownKey) from a wrong signature
// (ErrBadSignature).
package hqsign
