// Package prov provisions the department's MQTT public-key infrastructure for
// ALPR units: a CA, one client certificate per unit and per HQ subscriber,
// the broker's server certificate with its Mosquitto configuration and ACL,
// HQ's Ed25519 signing key and the bundle a technician copies to a unit. It
// is the library behind the alprprov command and the TLS broker tests; it
// uses the standard library only (crypto/x509, ECDSA P-256, Ed25519).
//
// # Identities
//
// The broker takes a client certificate's common name (CN) as the MQTT user
// name (use_identity_as_username) and as the client id
// (use_username_as_clientid), and the ACL grants rights by that name: a unit
// may publish only below alpr/v1/<its CN>/ and read only its own down
// topics; HQ identities have named rules. So names are checked before a
// certificate is issued (ValidDevice, ValidHQ):
//
//   - a name is 1 to 64 letters, digits, '-', '_' or '.', starting with a
//     letter or digit: never '+', '#', '/', '%', a space or empty, which
//     would widen or break an ACL pattern or a topic;
//   - HQ names start with "hq-"; unit names must not (in any case), so a unit
//     can never hold an HQ identity's rights.
//
// # Provisioning directory
//
// Dir writes one folder per thing, each written whole or not at all (built
// in a temporary folder, files fsynced, renamed into place, parent fsynced):
//
//	ca/ca.crt, ca/ca.key                          department CA
//	signing/hq-signing.key, hq-signing.pub        HQ's Ed25519 signing key
//	hq-keys/epoch-<N>.key, epoch-<N>.pub          HQ's HPKE keys per epoch
//	hq/<name>/client.crt, client.key, ca.crt      an HQ subscriber
//	broker/server.crt, server.key, ca.crt,        the broker: install as
//	       alpr.conf, acl                         described in alpr.conf
//	devices/<id>/device.crt, device.key, ca.crt,  a unit's bundle, with
//	       hq-signing.pub, hq-epoch-<N>.pub,      SHA256SUMS listing every
//	       SHA256SUMS                             other file
//
// Private keys are PKCS#8 PEM ("PRIVATE KEY") with mode 0600 in 0700
// folders; certificates and public keys are mode 0644. An existing folder
// holding a private key is never replaced unless Dir.Force is set.
package prov
