package ctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"alprd/firmware/record"
)

// Client is a connection to the control socket. Its methods may be called
// from several goroutines; each sends one request and waits for its answer.
// A failed request returns an *Error (errors.Is matches ErrAuth, ErrDenied,
// ErrInvalid, ErrFailed).
type Client struct {
	nc  net.Conn
	wmu sync.Mutex
	enc *json.Encoder

	mu      sync.Mutex
	nextID  uint64
	pending map[uint64]chan message
	watch   *clientWatch
	err     error // why the connection ended

	done chan struct{} // closed when the reader has ended
	wg   sync.WaitGroup
}

type clientWatch struct {
	id uint64
	q  *queue
}

// message is any line from the server: a Response or an EventMessage.
type message struct {
	ID     uint64          `json:"id"`
	OK     bool            `json:"ok"`
	Code   string          `json:"code"`
	Error  string          `json:"error"`
	Result json.RawMessage `json:"result"`
	Event  *Event          `json:"event"`
}

// ErrClosed is returned by requests on a connection that has ended.
var ErrClosed = errors.New("ctl: connection closed")

// Dial connects to the control socket at path.
func Dial(ctx context.Context, path string) (*Client, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("ctl: dial: %w", err)
	}
	return NewClient(nc), nil
}

// NewClient speaks the protocol over nc, which it owns from now on.
func NewClient(nc net.Conn) *Client {
	c := &Client{nc: nc, enc: json.NewEncoder(nc), pending: map[uint64]chan message{}, done: make(chan struct{})}
	c.wg.Go(c.read)
	return c
}

// Close closes the connection and waits for the client's goroutines; a
// watch channel is closed.
func (c *Client) Close() error {
	err := c.nc.Close()
	c.wg.Wait()
	return err
}

// Done is closed when the connection has ended; Err then says why.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err returns why the connection ended, nil while it is open.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *Client) read() {
	d := json.NewDecoder(c.nc)
	var err error
	for {
		var m message
		if err = d.Decode(&m); err != nil {
			break
		}
		c.mu.Lock()
		if m.Event != nil {
			if w := c.watch; w != nil && w.id == m.ID {
				w.q.push(*m.Event)
			}
		} else if ch, ok := c.pending[m.ID]; ok {
			delete(c.pending, m.ID)
			ch <- m
		}
		c.mu.Unlock()
	}
	c.mu.Lock()
	c.err = fmt.Errorf("%w: %w", ErrClosed, err)
	c.mu.Unlock()
	close(c.done)
}

func (c *Client) newID() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nextID++
	return c.nextID
}

// call sends op with args and decodes the result into result (if not nil).
func (c *Client) call(ctx context.Context, id uint64, op string, args, result any) error {
	req := Request{ID: id, Op: op}
	if args != nil {
		b, err := json.Marshal(args)
		if err != nil {
			return fmt.Errorf("ctl: %s: %w", op, err)
		}
		req.Args = b
	}
	ch := make(chan message, 1)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return err
	}
	c.pending[id] = ch
	c.mu.Unlock()
	c.wmu.Lock()
	err := c.enc.Encode(req)
	c.wmu.Unlock()
	if err != nil {
		// The unit hung up (a refused login, a shutdown) before or while
		// the request went: the connection is over either way.
		c.forget(id)
		return fmt.Errorf("ctl: %s: %w: %w", op, ErrClosed, err)
	}
	var m message
	select {
	case m = <-ch:
	case <-c.done:
		select { // the answer may have come just before the end
		case m = <-ch:
		default:
			return fmt.Errorf("ctl: %s: %w", op, c.Err())
		}
	case <-ctx.Done():
		c.forget(id)
		return fmt.Errorf("ctl: %s: %w", op, ctx.Err())
	}
	if !m.OK {
		return &Error{Op: op, Code: m.Code, Msg: m.Error}
	}
	if result != nil {
		if err := json.Unmarshal(m.Result, result); err != nil {
			return fmt.Errorf("ctl: %s: result: %w", op, err)
		}
	}
	return nil
}

func (c *Client) forget(id uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.pending, id)
}

// Login logs in; it must be the first request of a connection. A failed
// login is answered only after a delay that grows with each failure.
func (c *Client) Login(ctx context.Context, a LoginArgs) (Session, error) {
	var s Session
	err := c.call(ctx, c.newID(), OpLogin, a, &s)
	return s, err
}

// Logout ends the session (and a watch); the connection stays open for
// another login.
func (c *Client) Logout(ctx context.Context) error {
	return c.call(ctx, c.newID(), OpLogout, nil, nil)
}

// Status returns the unit's state.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var s Status
	err := c.call(ctx, c.newID(), OpStatus, nil, &s)
	return s, err
}

// AddEntry adds a manual hot list entry and returns it as the unit stored
// it (plate normalised, entered by and when filled in).
func (c *Client) AddEntry(ctx context.Context, e record.HotEntry) (record.HotEntry, error) {
	var got record.HotEntry
	err := c.call(ctx, c.newID(), OpHotlistAdd, e, &got)
	return got, err
}

// RemoveEntry removes the hot list entry of plate and state.
func (c *Client) RemoveEntry(ctx context.Context, plate, state, reason string) error {
	return c.call(ctx, c.newID(), OpHotlistRm, RemoveArgs{Plate: plate, State: state, Reason: reason}, nil)
}

// Entries lists the manual hot list entries, or with all (supervisors
// only) every entry.
func (c *Client) Entries(ctx context.Context, all bool) ([]record.HotEntry, error) {
	var es []record.HotEntry
	err := c.call(ctx, c.newID(), OpHotlistList, ListArgs{All: all}, &es)
	return es, err
}

// OpenAlerts returns the alerts not yet disposed, oldest first.
func (c *Client) OpenAlerts(ctx context.Context) ([]Event, error) {
	var evs []Event
	err := c.call(ctx, c.newID(), OpAlertList, nil, &evs)
	return evs, err
}

// Dispose records the outcome (one of record.Outcomes) of an alert, with
// an optional note, and returns the disposition as recorded.
func (c *Client) Dispose(ctx context.Context, alert, outcome, note string) (record.Disposition, error) {
	var d record.Disposition
	err := c.call(ctx, c.newID(), OpAlertDispose, DisposeArgs{Alert: alert, Outcome: outcome, Note: note}, &d)
	return d, err
}

// Watch starts the live stream: it returns the open alerts, oldest first,
// and a channel of events that is closed when ctx is done (the stream is
// then stopped on the unit) or the connection ends. An alert may be both in
// open and on the channel. The channel is buffered like the server's
// queue: when the caller is slow, the oldest reads are dropped (never
// alerts) and a KindDropped event says how many. One watch at a time.
func (c *Client) Watch(ctx context.Context) ([]Event, <-chan Event, error) {
	id := c.newID()
	w := &clientWatch{id: id, q: newQueue(DefaultWatchBuffer, 0)}
	c.mu.Lock()
	if c.watch != nil {
		c.mu.Unlock()
		return nil, nil, errors.New("ctl: watch: already watching")
	}
	c.watch = w
	c.mu.Unlock()
	var res WatchResult
	if err := c.call(ctx, id, OpWatch, nil, &res); err != nil {
		c.endWatch(w)
		return nil, nil, err
	}
	out := make(chan Event)
	c.wg.Go(func() {
		defer close(out)
		defer c.endWatch(w)
		for {
			select {
			case <-ctx.Done():
				c.unwatch()
				return
			case <-c.done:
				return
			case <-w.q.ready:
			}
			for {
				ev, ok := w.q.pop()
				if !ok {
					break
				}
				select {
				case out <- ev:
				case <-ctx.Done():
					c.unwatch()
					return
				case <-c.done:
					return
				}
			}
		}
	})
	return res.Open, out, nil
}

func (c *Client) endWatch(w *clientWatch) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.watch == w {
		c.watch = nil
	}
}

// unwatch stops the stream on the unit, best effort.
func (c *Client) unwatch() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.call(ctx, c.newID(), OpUnwatch, nil, nil)
}
