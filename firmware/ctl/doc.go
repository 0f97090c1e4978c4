// Package ctl is the unit's local control socket: the daemon side (Server,
// which serves a Handler the daemon implements) and the client library
// (Client) used by alprctl, the officer's console, and integration tests.
//
// # Protocol
//
// A Unix socket (DefaultSocket, mode SocketMode) carries newline-delimited
// JSON. Each Request {"id", "op", "args"} is answered by one Response with
// the same id: {"id", "ok": true, "result"} or {"id", "ok": false, "code",
// "error"}. Requests on a connection are served one at a time, in order.
// After a successful watch request, EventMessage lines {"id" of the watch,
// "event"} are pushed on the same connection between responses. Every
// request, response and event is described, with examples, in docs/ctl.md.
//
// # Authentication and roles
//
// The first request of a connection must be a login with a user, a
// password and a purpose (the reason for this access, required), and may
// give a case number. Any other request before a successful login is
// refused and the connection closed; so is a connection that sends nothing
// for Config.LoginTimeout, or fails five logins. Users are read from a
// users file (DefaultUsersFile), one per line:
//
//	name:role:pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>
//
// with # comments; UserLine makes such a line (PBKDF2-HMAC-SHA256, 600,000
// iterations by default). The file is re-read at the first login after it
// changes; a bad line is skipped and logged, so that it locks out nobody
// else. A failed login is answered after a delay of Config.LoginDelay,
// doubled with each failure of the connection or of the user name
// (whichever has more; a user's count is forgotten after 15 minutes
// without a failure, and reset by a successful login), up to
// Config.MaxLoginDelay. An unknown user costs the same hashing as a wrong
// password.
//
// Roles: an officer reads, watches and disposes of alerts and manages the
// manual hot list entries; a technician sees the status only; a supervisor
// has an officer's rights and may also list the whole hot list (HQ's
// entries too), which officers may not. Roles are checked by the Server;
// the Handler sees only permitted, validated requests, with the Session
// that made them.
//
// # Audit
//
// Every request, refused and failed ones included, gives one record.Audit
// (who, what, which object, purpose, case, result) to Config.Audit, before
// its response is written. Result is "ok", "denied: <why>" (not logged in,
// failed login, role), "invalid: <why>" (malformed or failing validation)
// or "error: <the Handler's error>". The end of a watch stream adds a
// record with ActionWatchEnd that counts what the stream delivered. The
// password is never recorded.
//
// # Watch
//
// A watch stream never blocks the daemon: the Server drains the Handler's
// channel into a queue of Config.WatchBuffer events per connection. When
// the queue is full the oldest read is dropped; alerts and dispositions
// are never dropped, and before the next event the client is sent a
// KindDropped event with the number of reads lost. A client that lets 16
// times WatchBuffer alerts pile up unread is disconnected (its alerts stay
// open on the unit and come back in the next watch's snapshot). The Client
// buffers the same way between the connection and its channel, so a slow
// program never stalls its own requests.
package ctl
