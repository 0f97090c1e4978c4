package spool

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// crashEnv names the spool directory of a crash-test child process.
const crashEnv = "SPOOL_CRASH_CHILD_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(dir)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// crashPayload is the payload of record seq of the given kind, so that the
// parent can check every record it finds.
func crashPayload(seq uint64, kind Kind) []byte {
	return payloadFor(seq^uint64(kind)<<56, 1+int(seq*7919%3000))
}

// crashChild appends from 8 goroutines until it is killed, printing
// "D seq kind" once a record is durable, and every 100 records acknowledges
// an older one, printing "A seq" once the ack returned. Builds of sequences
// divisible by 97 fail, leaving gaps.
func crashChild(dir string) {
	sp, err := Open(dir, Options{SegmentBytes: 64 << 10, CommitInterval: 2e6})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	var mu sync.Mutex
	var durable []uint64
	out := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		os.Stdout.WriteString(s) // one write: a line is whole in the pipe or absent
	}
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Go(func() {
			for i := 0; ; i++ {
				kind := Kinds[(w+i)%len(Kinds)]
				seq, err := sp.Append(kind, func(seq uint64) ([]byte, error) {
					if seq%97 == 0 {
						return nil, fmt.Errorf("no record %d", seq)
					}
					return crashPayload(seq, kind), nil
				})
				if err != nil {
					continue
				}
				out(fmt.Sprintf("D %d %d\n", seq, kind))
				mu.Lock()
				durable = append(durable, seq)
				var ack uint64
				if len(durable)%100 == 0 && len(durable) > 300 {
					slices.Sort(durable)
					ack = durable[len(durable)-300]
				}
				mu.Unlock()
				if ack > 0 {
					if err := sp.Ack(ack); err == nil {
						out(fmt.Sprintf("A %d\n", ack))
					}
				}
			}
		})
	}
	wg.Wait()
}

func TestCrash(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	durable := map[uint64]Kind{} // reported durable, over every round
	var acked uint64             // highest ack reported
	const rounds = 6
	for round := 0; round < rounds; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		killAfter := 50 + rng.IntN(3000) // lines
		sc := bufio.NewScanner(stdout)
		lines := 0
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			seq, err := strconv.ParseUint(f[1], 10, 64)
			if err != nil {
				t.Fatalf("round %d: child printed %q", round, sc.Text())
			}
			switch f[0] {
			case "D":
				k, _ := strconv.Atoi(f[2])
				if _, dup := durable[seq]; dup {
					t.Fatalf("round %d: sequence %d reported durable twice", round, seq)
				}
				durable[seq] = Kind(k)
			case "A":
				acked = max(acked, seq)
			}
			if lines++; lines == killAfter {
				cmd.Process.Kill() // SIGKILL
			}
		}
		cmd.Wait()
		if lines < killAfter {
			t.Fatalf("round %d: child ended after %d lines: %s", round, lines, stderr.String())
		}

		sp := mustOpen(t, dir, Options{})
		st := sp.Stats()
		if st.Acked < acked {
			t.Errorf("round %d: Acked %d, below the reported ack %d", round, st.Acked, acked)
		}
		recs := pendingAll(t, sp)
		got := map[uint64]bool{}
		for i, r := range recs {
			if i > 0 && r.Seq <= recs[i-1].Seq {
				t.Fatalf("round %d: record %d follows %d", round, r.Seq, recs[i-1].Seq)
			}
			got[r.Seq] = true
			if !bytes.Equal(r.Payload, crashPayload(r.Seq, r.Kind)) {
				t.Errorf("round %d: record %d (%v, %d bytes) is not what was appended", round, r.Seq, r.Kind, len(r.Payload))
			}
		}
		kinds := map[uint64]Kind{}
		for _, r := range recs {
			kinds[r.Seq] = r.Kind
		}
		missing := 0
		for seq, k := range durable {
			if got[seq] && kinds[seq] != k {
				t.Errorf("round %d: record %d is a %v, appended as %v", round, seq, kinds[seq], k)
			}
			if seq%97 == 0 {
				t.Errorf("round %d: child reported %d, whose build fails, as durable", round, seq)
			}
			if seq > st.Acked && !got[seq] {
				missing++
				if missing < 10 {
					t.Errorf("round %d: durable record %d is missing (acked %d)", round, seq, st.Acked)
				}
			}
			if seq >= st.Next {
				t.Errorf("round %d: Next %d would reuse durable sequence %d", round, st.Next, seq)
			}
		}
		// Every sequence above the cursor is stored or listed as dropped.
		dropped := expand(sp.Dropped())
		for seq := st.Acked + 1; seq < st.Next; seq++ {
			if got[seq] == slices.Contains(dropped, seq) {
				t.Errorf("round %d: sequence %d stored %v, in Dropped %v", round, seq, got[seq], !got[seq])
			}
		}
		t.Logf("round %d: killed after %d lines; %d records pending, acked %d, next %d, cut %d bytes",
			round, lines, len(recs), st.Acked, st.Next, st.CutBytes)
		mustClose(t, sp)
		if t.Failed() {
			t.FailNow()
		}
	}
	if len(durable) < rounds*50 {
		t.Errorf("only %d records reported durable in %d rounds", len(durable), rounds)
	}
}
