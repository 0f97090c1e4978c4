package prov_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"alprd/tools/alprprov/prov"
)

// A department's provisioning, from the CA to one unit's bundle.
func Example() {
	root, err := os.MkdirTemp("", "prov")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(root)
	d := prov.Dir{Root: root}
	if _, err := d.CreateCA("Example PD ALPR CA", prov.CAValidity); err != nil {
		log.Fatal(err)
	}
	if _, err := d.CreateSigningKey(); err != nil {
		log.Fatal(err)
	}
	if _, err := d.CreateHQ("hq-main", prov.HQValidity); err != nil {
		log.Fatal(err)
	}
	_, err = d.CreateBroker(prov.BrokerOptions{Hosts: []string{"mqtt.example.org"}, Port: 8883, Validity: prov.BrokerValidity})
	if err != nil {
		log.Fatal(err)
	}
	b, err := d.CreateDevice("unit-0042", prov.DeviceValidity)
	if err != nil {
		log.Fatal(err)
	}
	rel, _ := filepath.Rel(root, b.Dir)
	fmt.Println(rel, b.Files, b.Identity.Cert.Subject.CommonName)
	_, err = d.CreateDevice("hq-evil", prov.DeviceValidity)
	fmt.Println(err)
	// Output:
	// devices/unit-0042 [ca.crt device.crt device.key hq-signing.pub] unit-0042
	// prov: device id "hq-evil": must not start with "hq-", which names HQ identities
}
