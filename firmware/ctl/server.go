package ctl

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"alprd/firmware/record"
)

// Defaults of Config.
const (
	DefaultSocket        = "/run/alprd/ctl.sock"
	DefaultUsersFile     = "/etc/alprd/users"
	DefaultWatchBuffer   = 256
	DefaultLoginDelay    = time.Second
	DefaultMaxLoginDelay = 30 * time.Second
	DefaultLoginTimeout  = time.Minute
	DefaultMaxConns      = 16
)

// SocketMode is the permission of the socket file: the daemon's user and
// group (the console users) may connect, nobody else.
const SocketMode fs.FileMode = 0o660

const (
	maxLine       = 64 << 10         // longest request line
	maxFailures   = 5                // failed logins before a connection is closed
	failureMemory = 15 * time.Minute // a user's failures are forgotten after this without another
	maxFailUsers  = 1024             // user names whose failures are remembered
	hardMaxFactor = 16               // a watcher holding WatchBuffer*hardMaxFactor alerts is cut off
	maxNote       = 1000             // characters of a disposition note
	maxReason     = 200              // bytes, as docs/hotlist-format.md
	maxField      = 64               // bytes of a case number or alert ID
	maxAgency     = 32               // bytes of an ORI
)

// Config configures a Server.
type Config struct {
	Socket  string  // path of the Unix socket; DefaultSocket when empty
	Users   string  // path of the users file; DefaultUsersFile when empty
	Device  string  // the unit's name, stamped into audit records and dispositions
	Handler Handler // required
	// Audit receives one record per request, failed logins and refusals
	// included, and one per ended watch stream. It is called synchronously
	// from the connection's goroutine: it must not block for long.
	// Required.
	Audit  func(record.Audit)
	Logger *slog.Logger // nil: discard

	WatchBuffer   int           // reads buffered per watcher before the oldest are dropped; default DefaultWatchBuffer
	LoginDelay    time.Duration // wait before answering the first failed login; doubles with each failure; default DefaultLoginDelay
	MaxLoginDelay time.Duration // longest wait after a failed login; default DefaultMaxLoginDelay
	LoginTimeout  time.Duration // a connection not logged in within this is closed; default DefaultLoginTimeout
	MaxConns      int           // connections served at once, more are closed; default DefaultMaxConns
}

// Server serves the control socket. New makes one, Listen creates the
// socket, Serve serves it.
type Server struct {
	cfg   Config
	log   *slog.Logger
	users usersFile

	ln net.Listener

	mu    sync.Mutex
	fails map[string]failure // failed logins by user name
}

type failure struct {
	n    int
	last time.Time
}

// New checks cfg and fills in its defaults. It does no I/O.
func New(cfg Config) (*Server, error) {
	if cfg.Handler == nil {
		return nil, errors.New("ctl: config: no Handler")
	}
	if cfg.Audit == nil {
		return nil, errors.New("ctl: config: no Audit hook")
	}
	if cfg.Socket == "" {
		cfg.Socket = DefaultSocket
	}
	if cfg.Users == "" {
		cfg.Users = DefaultUsersFile
	}
	if cfg.WatchBuffer <= 0 {
		cfg.WatchBuffer = DefaultWatchBuffer
	}
	if cfg.LoginDelay <= 0 {
		cfg.LoginDelay = DefaultLoginDelay
	}
	if cfg.MaxLoginDelay <= 0 {
		cfg.MaxLoginDelay = DefaultMaxLoginDelay
	}
	if cfg.LoginTimeout <= 0 {
		cfg.LoginTimeout = DefaultLoginTimeout
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{
		cfg:   cfg,
		log:   log.With("socket", cfg.Socket),
		users: usersFile{path: cfg.Users},
		fails: map[string]failure{},
	}, nil
}

// Listen creates the socket with mode SocketMode. A stale socket file (one
// nobody answers on) is removed first; a live one, or another kind of file
// at the path, is an error.
func (s *Server) Listen() error {
	if s.ln != nil {
		return errors.New("ctl: listen: already listening")
	}
	path := s.cfg.Socket
	if err := removeStale(path); err != nil {
		return err
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("ctl: listen: %w", err)
	}
	if err := os.Chmod(path, SocketMode); err != nil {
		ln.Close()
		return fmt.Errorf("ctl: listen: %w", err)
	}
	s.ln = ln
	return nil
}

func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("ctl: listen: %w", err)
	}
	if fi.Mode()&fs.ModeSocket == 0 {
		return fmt.Errorf("ctl: listen: %s exists and is not a socket", path)
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("ctl: listen: %s: another process serves it", path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("ctl: listen: probe stale socket: %w", err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("ctl: listen: remove stale socket: %w", err)
	}
	return nil
}

// Serve accepts connections until ctx is done, then closes the listener
// and every connection, waits for their goroutines, removes the socket
// file and returns nil. Listen must have succeeded.
func (s *Server) Serve(ctx context.Context) error {
	if s.ln == nil {
		return errors.New("ctl: serve: not listening")
	}
	ln := s.ln
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	sem := make(chan struct{}, s.cfg.MaxConns)
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			ln.Close()
			return fmt.Errorf("ctl: accept: %w", err)
		}
		select {
		case sem <- struct{}{}:
		default:
			s.log.Warn("ctl: too many connections, one refused", "max", s.cfg.MaxConns)
			nc.Close()
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			s.ServeConn(ctx, nc)
		})
	}
}

// ServeConn serves one connection until the client closes it, a fatal
// protocol error, or ctx is done; it closes nc. Serve calls it for each
// accepted connection; tests may call it with one end of a net.Pipe.
func (s *Server) ServeConn(ctx context.Context, nc net.Conn) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer func() {
		stop()
		nc.Close()
	}()
	c := &conn{s: s, nc: nc, ctx: ctx, cancel: cancel, enc: json.NewEncoder(nc)}
	c.serve()
	c.stopWatch()
}

// conn is one client connection. Its requests are served one at a time by
// ServeConn's goroutine; a watch adds a pump and a writer goroutine.
type conn struct {
	s      *Server
	nc     net.Conn
	ctx    context.Context
	cancel context.CancelFunc

	wmu sync.Mutex // serialises writes of responses and events
	enc *json.Encoder

	sess     *Session
	failures int
	watch    *watcher
}

func (c *conn) serve() {
	br := bufio.NewReaderSize(c.nc, 4096)
	var loginBy time.Time // while logged out: when the connection must have logged in
	for {
		switch {
		case c.sess != nil:
			loginBy = time.Time{}
		case loginBy.IsZero():
			loginBy = time.Now().Add(c.s.cfg.LoginTimeout)
		}
		c.nc.SetReadDeadline(loginBy)
		line, err := readLine(br, maxLine)
		if err != nil {
			if errors.Is(err, errLineTooLong) {
				c.invalid(0, "request longer than 64 KiB")
			} else if errors.Is(err, os.ErrDeadlineExceeded) {
				c.s.log.Info("ctl: connection closed: no login in time")
			}
			return
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var req Request
		if err := json.Unmarshal(line, &req); err != nil || req.Op == "" {
			c.invalid(req.ID, "want a JSON object with id, op and args")
			if c.sess == nil {
				return
			}
			continue
		}
		if !c.handle(req) {
			return
		}
	}
}

var errLineTooLong = errors.New("ctl: line too long")

func readLine(r *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		frag, err := r.ReadSlice('\n')
		if len(line)+len(frag) > max {
			return nil, errLineTooLong
		}
		line = append(line, frag...)
		if err == nil {
			return line, nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			if err == io.EOF && len(line) > 0 {
				return line, nil
			}
			return nil, err
		}
	}
}

func (c *conn) invalid(id uint64, msg string) {
	c.audit(ActionInvalid, "", "invalid: "+msg)
	c.fail(id, CodeInvalid, msg)
}

// permitted lists the roles allowed each op (login aside).
var permitted = map[string][]string{
	OpLogout:       {RoleOfficer, RoleTechnician, RoleSupervisor},
	OpStatus:       {RoleOfficer, RoleTechnician, RoleSupervisor},
	OpHotlistAdd:   {RoleOfficer, RoleSupervisor},
	OpHotlistRm:    {RoleOfficer, RoleSupervisor},
	OpHotlistList:  {RoleOfficer, RoleSupervisor},
	OpAlertList:    {RoleOfficer, RoleSupervisor},
	OpAlertDispose: {RoleOfficer, RoleSupervisor},
	OpWatch:        {RoleOfficer, RoleSupervisor},
	OpUnwatch:      {RoleOfficer, RoleSupervisor},
}

// handle serves one request; false ends the connection.
func (c *conn) handle(req Request) bool {
	if req.Op == OpLogin {
		return c.login(req)
	}
	if c.sess == nil {
		// Nothing but a login before a login: refuse and hang up.
		c.audit(req.Op, "", "denied: not logged in")
		c.fail(req.ID, CodeAuth, "log in first")
		return false
	}
	roles, ok := permitted[req.Op]
	if !ok {
		c.invalid(req.ID, fmt.Sprintf("unknown op %q", req.Op))
		return true
	}
	if !slices.Contains(roles, c.sess.Role) {
		c.deny(req, "", fmt.Sprintf("a %s may not %s", c.sess.Role, req.Op))
		return true
	}
	switch req.Op {
	case OpLogout:
		c.stopWatch()
		c.audit(req.Op, "", "ok")
		c.reply(req.ID, nil)
		c.sess = nil
	case OpStatus:
		c.status(req)
	case OpHotlistAdd:
		c.addEntry(req)
	case OpHotlistRm:
		c.removeEntry(req)
	case OpHotlistList:
		c.entries(req)
	case OpAlertList:
		c.alerts(req)
	case OpAlertDispose:
		c.dispose(req)
	case OpWatch:
		c.startWatch(req)
	case OpUnwatch:
		if c.watch == nil {
			c.badArgs(req, "", "not watching")
			return true
		}
		c.stopWatch()
		c.audit(req.Op, "", "ok")
		c.reply(req.ID, nil)
	}
	return true
}

// decodeArgs strictly decodes a request's args into v.
func decodeArgs(raw json.RawMessage, v any) error {
	if len(raw) == 0 {
		raw = []byte("{}")
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("args: %w", err)
	}
	return nil
}

func (c *conn) login(req Request) bool {
	s := c.s
	if c.sess != nil {
		c.audit(OpLogin, "", "invalid: already logged in")
		c.fail(req.ID, CodeInvalid, "already logged in: log out first")
		return true
	}
	var a LoginArgs
	if err := decodeArgs(req.Args, &a); err != nil {
		c.badArgs(req, "", err.Error())
		return false
	}
	a.Purpose = strings.TrimSpace(a.Purpose)
	a.Case = strings.TrimSpace(a.Case)
	at := record.Audit{User: a.User, Action: OpLogin, Purpose: a.Purpose, Case: a.Case}
	if a.Purpose == "" {
		at.Result = "denied: no purpose given"
		s.emit(at)
		c.fail(req.ID, CodeAuth, "a purpose is required")
		return true
	}
	users, perr, changed, err := s.users.load()
	if changed && perr != nil {
		s.log.Warn("ctl: users file has bad lines", "path", s.cfg.Users, "err", perr)
	}
	if err != nil {
		s.log.Error("ctl: login impossible", "err", err)
		at.Result = err.Error()
		s.emit(at)
		c.fail(req.ID, CodeFailed, "the users file cannot be read")
		return true
	}
	u, known := users[a.User]
	if !known {
		d := decoy
		d.Iterations = maxIterations(users)
		d.Check(a.Password)
	} else if u.Check(a.Password) {
		s.forgive(a.User)
		c.sess = &Session{User: u.Name, Role: u.Role, Purpose: a.Purpose, Case: a.Case}
		at.Result = "ok"
		s.emit(at)
		c.reply(req.ID, c.sess)
		return true
	}
	c.failures++
	n := max(c.failures, s.blame(a.User))
	if !sleep(c.ctx, s.loginDelay(n)) {
		return false
	}
	at.Result = "denied: wrong password"
	if !known {
		at.Result = "denied: unknown user"
	}
	s.emit(at)
	c.fail(req.ID, CodeAuth, "login failed: wrong user or password")
	return c.failures < maxFailures
}

func maxIterations(us Users) int {
	n := 0
	for _, u := range us {
		n = max(n, u.Iterations)
	}
	if n == 0 {
		n = DefaultIterations
	}
	return n
}

// loginDelay is the wait after the nth failed login.
func (s *Server) loginDelay(n int) time.Duration {
	d := s.cfg.LoginDelay
	for i := 1; i < n && d < s.cfg.MaxLoginDelay; i++ {
		d *= 2
	}
	return min(d, s.cfg.MaxLoginDelay)
}

// blame counts a failed login for user and returns the user's failures.
func (s *Server) blame(user string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	f := s.fails[user]
	if now.Sub(f.last) > failureMemory {
		f.n = 0
	}
	if _, ok := s.fails[user]; !ok && len(s.fails) >= maxFailUsers {
		for k, v := range s.fails {
			if now.Sub(v.last) > failureMemory {
				delete(s.fails, k)
			}
		}
		for k := range s.fails {
			if len(s.fails) < maxFailUsers {
				break
			}
			delete(s.fails, k)
		}
	}
	f.n++
	f.last = now
	s.fails[user] = f
	return f.n
}

// forgive forgets user's failed logins after a successful one.
func (s *Server) forgive(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.fails, user)
}

// sleep waits d; false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (c *conn) status(req Request) {
	st, err := c.s.cfg.Handler.Status(c.ctx)
	if err != nil {
		c.failed(req, "status", err)
		return
	}
	c.audit(req.Op, "status", "ok")
	c.reply(req.ID, st)
}

func (c *conn) addEntry(req Request) {
	var e record.HotEntry
	if err := decodeArgs(req.Args, &e); err != nil {
		c.badArgs(req, "", err.Error())
		return
	}
	if err := checkEntry(&e, *c.sess, time.Now()); err != nil {
		c.badArgs(req, e.Plate, err.Error())
		return
	}
	if err := c.s.cfg.Handler.AddEntry(c.ctx, *c.sess, e); err != nil {
		c.failed(req, e.Plate, err)
		return
	}
	c.audit(req.Op, e.Plate, "ok")
	c.reply(req.ID, e)
}

func (c *conn) removeEntry(req Request) {
	var a RemoveArgs
	if err := decodeArgs(req.Args, &a); err != nil {
		c.badArgs(req, "", err.Error())
		return
	}
	plate, state, err := checkRemove(&a)
	if err != nil {
		c.badArgs(req, plate, err.Error())
		return
	}
	if err := c.s.cfg.Handler.RemoveEntry(c.ctx, *c.sess, plate, state, a.Reason); err != nil {
		c.failed(req, plate, err)
		return
	}
	c.audit(req.Op, plate, "ok")
	c.reply(req.ID, nil)
}

func (c *conn) entries(req Request) {
	var a ListArgs
	if err := decodeArgs(req.Args, &a); err != nil {
		c.badArgs(req, "", err.Error())
		return
	}
	obj := "hotlist:manual"
	if a.All {
		obj = "hotlist:all"
		if c.sess.Role != RoleSupervisor {
			c.deny(req, obj, "only a supervisor may list the whole hot list")
			return
		}
	}
	es, err := c.s.cfg.Handler.Entries(c.ctx, *c.sess, a.All)
	if err != nil {
		c.failed(req, obj, err)
		return
	}
	if es == nil {
		es = []record.HotEntry{}
	}
	c.audit(req.Op, obj, "ok")
	c.reply(req.ID, es)
}

func (c *conn) alerts(req Request) {
	evs, err := c.s.cfg.Handler.OpenAlerts(c.ctx)
	if err != nil {
		c.failed(req, "alerts", err)
		return
	}
	if evs == nil {
		evs = []Event{}
	}
	c.audit(req.Op, "alerts", "ok")
	c.reply(req.ID, evs)
}

func (c *conn) dispose(req Request) {
	var a DisposeArgs
	if err := decodeArgs(req.Args, &a); err != nil {
		c.badArgs(req, "", err.Error())
		return
	}
	if err := checkDispose(&a); err != nil {
		c.badArgs(req, a.Alert, err.Error())
		return
	}
	d := record.Disposition{
		V:       record.Version,
		Alert:   a.Alert,
		Device:  c.s.cfg.Device,
		Outcome: a.Outcome,
		Note:    a.Note,
		By:      c.sess.User,
		Time:    record.Millis(time.Now().UTC().Truncate(time.Millisecond)),
	}
	if err := c.s.cfg.Handler.Dispose(c.ctx, *c.sess, d); err != nil {
		c.failed(req, a.Alert, err)
		return
	}
	c.audit(req.Op, a.Alert, "ok")
	c.reply(req.ID, d)
}

// audit emits a record for the connection's session (empty before login).
func (c *conn) audit(action, object, result string) {
	a := record.Audit{Action: action, Object: object, Result: result}
	if c.sess != nil {
		a.User, a.Purpose, a.Case = c.sess.User, c.sess.Purpose, c.sess.Case
	}
	c.s.emit(a)
}

// emit stamps a and hands it to the Audit hook.
func (s *Server) emit(a record.Audit) {
	a.V = record.Version
	a.ID = record.NewID()
	a.Device = s.cfg.Device
	a.Time = record.Millis(time.Now().UTC().Truncate(time.Millisecond))
	s.cfg.Audit(a)
}

func (c *conn) deny(req Request, object, msg string) {
	c.audit(req.Op, object, "denied: "+msg)
	c.fail(req.ID, CodeDenied, msg)
}

func (c *conn) badArgs(req Request, object, msg string) {
	c.audit(req.Op, object, "invalid: "+msg)
	c.fail(req.ID, CodeInvalid, msg)
}

func (c *conn) failed(req Request, object string, err error) {
	c.s.log.Warn("ctl: request failed", "op", req.Op, "user", c.sess.User, "err", err)
	c.audit(req.Op, object, "error: "+err.Error())
	c.fail(req.ID, CodeFailed, err.Error())
}

func (c *conn) reply(id uint64, result any) {
	r := Response{ID: id, OK: true}
	if result != nil {
		b, err := json.Marshal(result)
		if err != nil {
			c.fail(id, CodeFailed, "cannot encode the result")
			return
		}
		r.Result = b
	}
	c.write(r)
}

func (c *conn) fail(id uint64, code, msg string) {
	c.write(Response{ID: id, Code: code, Error: msg})
}

// write sends one message; a failed write ends the connection.
func (c *conn) write(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.enc.Encode(v); err != nil {
		c.cancel()
		return err
	}
	return nil
}
