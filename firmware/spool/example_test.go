package spool_test

import (
	"fmt"
	"log"
	"os"

	"alprd/firmware/spool"
)

// A sender drains the alert lane before the bulk lane, tells HQ about
// dropped sequences, and acknowledges what HQ confirmed.
func Example() {
	dir, err := os.MkdirTemp("", "spool-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sp, err := spool.Open(dir, spool.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer sp.Close()

	// The pipeline appends encrypted messages; seal stands in for the
	// envelope encryption that binds the sequence.
	seal := func(msg string) func(uint64) ([]byte, error) {
		return func(seq uint64) ([]byte, error) { return fmt.Appendf(nil, "%d:%s", seq, msg), nil }
	}
	for _, m := range []struct {
		kind spool.Kind
		msg  string
	}{
		{spool.Read, "7ABC123"}, {spool.Read, "5XYZ987"}, {spool.Alert, "hit 5XYZ987"}, {spool.Health, "ok"},
	} {
		if _, err := sp.Append(m.kind, seal(m.msg)); err != nil {
			log.Fatal(err)
		}
	}

	var alertsSent, bulkSent uint64
	for {
		alerts, err := sp.Pending(alertsSent, 16, spool.Alert)
		if err != nil {
			log.Fatal(err)
		}
		for _, r := range alerts {
			fmt.Printf("send %s %s\n", r.Kind, r.Payload)
			alertsSent = r.Seq
		}
		if len(alerts) > 0 {
			continue
		}
		bulk, err := sp.Pending(bulkSent, 16, spool.Read, spool.Audit, spool.Event, spool.Health)
		if err != nil {
			log.Fatal(err)
		}
		if len(bulk) == 0 {
			break // a real sender waits: <-sp.Notify() or sp.Wait(ctx, ...)
		}
		for _, r := range bulk {
			fmt.Printf("send %s %s\n", r.Kind, r.Payload)
			bulkSent = r.Seq
		}
	}
	for _, r := range sp.Dropped() {
		fmt.Printf("tell HQ: %d-%d will never come\n", r.First, r.Last)
	}

	// HQ acknowledges the highest contiguous sequence it holds.
	if err := sp.Ack(4); err != nil {
		log.Fatal(err)
	}
	st := sp.Stats()
	fmt.Printf("acked %d, pending %d, next %d\n", st.Acked, st.Pending, st.Next)
	// Output:
	// send alert 3:hit 5XYZ987
	// send read 1:7ABC123
	// send read 2:5XYZ987
	// send health 4:ok
	// acked 4, pending 0, next 5
}
