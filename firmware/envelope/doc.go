// Package envelope seals every message the unit sends to headquarters (read
// records, alerts, audit records, events, health, self-test reports, state)
// into a versioned, encrypted and signed envelope, and opens it again at HQ.
//
// An envelope is
//
//	header || HPKE enc || HPKE ciphertext || device signature
//
// The header (format version, message kind, HPKE suite ids, HQ key epoch,
// sequence, device id and an optional creation time) travels in clear so
// that HQ can route and count messages without decrypting them
// (ParseHeader). The payload is encrypted with HPKE (RFC 9180, base mode,
// single shot) to HQ's public key of the header's epoch, with the header
// bytes as associated data: changing any header field makes decryption
// fail. The device signs everything before the signature with its ECDSA
// P-256 key (the key of its TLS client certificate); the signature is 64
// bytes, r || s, with s in the lower half of the group order, so an envelope
// has exactly one valid encoding. The byte layout is in docs/envelope.md.
//
// # Suites
//
// Two suites are supported, named for configuration and flags:
//
//   - "p256" (SuiteP256, the default): DHKEM(P-256, HKDF-SHA256) 0x0010,
//     HKDF-SHA256 0x0001, AES-256-GCM 0x0002.
//   - "mlkem768-p256" (SuiteMLKEM768P256): the post-quantum hybrid
//     ML-KEM-768 + P-256 KEM of draft-ietf-hpke-pq 0x0050, HKDF-SHA256,
//     AES-256-GCM. It costs about 1.1 KB more per message.
//
// The unit's suite is that of the HQ public key it is given.
//
// # Sides
//
// The unit holds a Sealer (device id, key epoch, HQ public key, device
// signer); HQ holds an Opener (HQ private keys by epoch, device public keys
// by device id). Open verifies the signature before it decrypts anything,
// and every refusal wraps exactly one of ErrFormat, ErrUnknownDevice,
// ErrSignature, ErrUnknownEpoch or ErrDecrypt, so that HQ can count refusals
// by reason with errors.Is.
//
// The envelope does not stop replays: an old envelope opens again. HQ must
// de-duplicate and order on (Header.Device, Header.Seq).
//
// # Keys
//
// GenerateHQKey, MarshalHQPrivateKey, ParseHQPrivateKey, MarshalHQPublicKey
// and ParseHQPublicKey create and store HQ's key of an epoch (PKCS#8 / PKIX
// PEM for P-256; the "ALPRD HPKE PRIVATE KEY" / "ALPRD HPKE PUBLIC KEY" PEM
// blocks for the hybrid). ParseDeviceKey loads the device's signing key and
// ParseDevicePublicKey HQ's copy of its public half, from the device
// certificate.
//
// # FIPS 140-3
//
// Everything here uses the Go Cryptographic Module only. With
// GODEBUG=fips140=only, both suites work with the v1.26.0 module
// (GOFIPS140=v1.26.0 or latest). The v1.0.0 module refuses all of HPKE's
// AES-GCM there: crypto/hpke then falls back on crypto/cipher.NewGCM, which
// fips140=only refuses for caller-chosen nonces ("use of GCM with arbitrary
// IVs is not allowed in FIPS 140-only mode"). NewSealer finds this out at
// start rather than on the first message.
package envelope
