package sign

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// listing is what test-remote-gpg-list-keys.sh expects for key1 (TZ=UTC).
const listingKey1 = `Key: 5E65DE75AB1C501862D476347FCA23D8472CDAFA
  Created: Tue Sep 10 02:29:42 2013
  UID: Ostree Tester <test@test.com>
  Advanced update URL: https://openpgpkey.test.com/.well-known/openpgpkey/test.com/hu/iffe93qcsgp4c8ncbb378rxjo6cn9q6u?l=test
  Direct update URL: https://test.com/.well-known/openpgpkey/hu/iffe93qcsgp4c8ncbb378rxjo6cn9q6u?l=test
  Subkey: CC47B2DFB520AEF231180725DF20F58B408DEA49
    Created: Tue Sep 10 02:29:42 2013
`

func TestFormatKeyInfo(t *testing.T) {
	localUTC(t)
	now := time.Now()
	format := func(kr *Keyring) string {
		var b strings.Builder
		for _, k := range kr.Info(now) {
			b.WriteString(FormatKeyInfo(k))
		}
		return b.String()
	}
	if diff := cmp.Diff(listingKey1, format(testKeys(t, "gpghome/key1.asc"))); diff != "" {
		t.Errorf("key1 (-want +got):\n%s", diff)
	}
	all := format(testKeys(t, "gpghome/trusted/pubring.gpg"))
	for _, want := range []string{
		listingKey1,
		"Key: 7B3B1020D74479687FDB2273D8228CFECA950D41\n  Created: Tue Mar 17 14:00:32 2015\n  UID: Ostree Tester II <test2@test.com>\n",
		"  Direct update URL: https://test.com/.well-known/openpgpkey/hu/8494gyqhmrcs6gn38tn6kgjexet117cj?l=test3\n" +
			"  Subkey: 0E45E48CBF7B360C0E04443E0C601A7402416340\n    Created: Tue Mar 17 14:01:05 2015\n",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("listing lacks %q:\n%s", want, all)
		}
	}

	rev, err := ParseKeys(withRevocation(t))
	if err != nil {
		t.Fatal(err)
	}
	got := format(rev)
	for _, want := range []string{
		"Key: " + keyFpr1 + " (revoked)\n",
		"  UID: Ostree Tester <test@test.com> (revoked)\n",
		"  Subkey: CC47B2DFB520AEF231180725DF20F58B408DEA49 (revoked)\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("revoked listing lacks %q:\n%s", want, got)
		}
	}

	exp := genKey(t, epoch, genOpts{name: "Expiring", email: "Someone@Example.ORG", lifetime: 60})
	got = format(publicOnly(t, exp))
	for _, want := range []string{
		"  Expired: Tue Nov 14 22:14:20 2023\n",
		"  Advanced update URL: https://openpgpkey.example.org/.well-known/openpgpkey/example.org/hu/",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("expired listing lacks %q:\n%s", want, got)
		}
	}
	noMail := format(publicOnly(t, genKey(t, epoch, genOpts{name: "Test Key 1"})))
	if !strings.Contains(noMail, "  UID: Test Key 1\n  Advanced update URL: \n  Direct update URL: \n") {
		t.Errorf("listing without email:\n%s", noMail)
	}
}

func TestWKD(t *testing.T) {
	tests := []struct{ email, adv, direct string }{
		{"test@test.com",
			"https://openpgpkey.test.com/.well-known/openpgpkey/test.com/hu/iffe93qcsgp4c8ncbb378rxjo6cn9q6u?l=test",
			"https://test.com/.well-known/openpgpkey/hu/iffe93qcsgp4c8ncbb378rxjo6cn9q6u?l=test"},
		// The draft's example: Joe.Doe@Example.ORG.
		{"Joe.Doe@Example.ORG",
			"https://openpgpkey.Example.ORG/.well-known/openpgpkey/example.org/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=Joe.Doe",
			"https://Example.ORG/.well-known/openpgpkey/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=Joe.Doe"},
		{"a+b c@x", "https://openpgpkey.x/.well-known/openpgpkey/x/hu/", "?l=a%2Bb%20c"},
	}
	for _, tc := range tests {
		adv, direct, err := WKDURLs(tc.email)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(adv, tc.adv) || !strings.HasSuffix(direct, tc.direct) && direct != tc.direct {
			t.Errorf("WKDURLs(%q) = %q, %q", tc.email, adv, direct)
		}
	}
	if _, _, err := WKDURLs("no-at-sign"); err == nil {
		t.Error("accepted an address without @")
	}
}
