package prov

import "testing"

// BenchmarkIssueDevice: one unit's key and certificate.
func BenchmarkIssueDevice(b *testing.B) {
	ca, err := NewCA("Bench CA", now, CAValidity)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := ca.IssueDevice("unit-1", now, DeviceValidity); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreateDevice: a whole bundle written to disk (fsyncs included).
func BenchmarkCreateDevice(b *testing.B) {
	d := Dir{Root: b.TempDir(), Force: true}
	if _, err := d.CreateCA("Bench CA", CAValidity); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := d.CreateDevice("unit-1", DeviceValidity); err != nil {
			b.Fatal(err)
		}
	}
}
