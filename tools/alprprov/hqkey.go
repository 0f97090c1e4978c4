package main

import (
	"alprd/tools/internal/cli"

	"flag"
	"fmt"
	"path/filepath"

	"alprd/firmware/envelope"
	"alprd/tools/alprprov/prov"
)

func setupHQKey(fs *flag.FlagSet) func(c *cli.Ctx) int {
	o := commonFlags(fs, false, 0)
	epoch := fs.Uint64("epoch", 0, "the key epoch, 1 to 4294967295 (required; units put it in every envelope's header)")
	suite := fs.String("suite", string(envelope.DefaultSuite), "HPKE suite: p256 or mlkem768-p256")
	return func(c *cli.Ctx) int {
		if st := o.check(c); st != 0 {
			return st
		}
		if *epoch < 1 || *epoch > 1<<32-1 {
			return c.Usage("-epoch %d: want 1 to 4294967295", *epoch)
		}
		s, err := envelope.ParseSuite(*suite)
		if err != nil {
			return c.Usage("-suite: %v", err)
		}
		k, err := envelope.GenerateHQKey(s)
		if err != nil {
			return c.Fail(err)
		}
		priv, err := envelope.MarshalHQPrivateKey(k)
		if err != nil {
			return c.Fail(err)
		}
		pub, err := envelope.MarshalHQPublicKey(k.PublicKey())
		if err != nil {
			return c.Fail(err)
		}
		if err := o.prov().WriteHQKey(uint32(*epoch), priv, pub); err != nil {
			return c.Fail(err)
		}
		base := filepath.Join(o.dir, prov.HQKeysFolder, prov.HQKeyName(uint32(*epoch)))
		fmt.Fprintf(c.Stdout, "HQ %s key of epoch %d: %s.key (HQ only), %s.pub (goes into unit bundles made from now on)\n", s, *epoch, base, base)
		return 0
	}
}
