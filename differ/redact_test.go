package differ

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/omswatch/omswatch/oms"
)

// A redacted canonical tree is canonical: its JSON written as it is
// (oms.CanonicalJSON, what the observation log keeps of a keyframe) is
// what canonicalising it again gives, and its secrets are masked.
func TestRedactedTreeStaysCanonical(t *testing.T) {
	inputs, _ := filepath.Glob("../testdata/oms/canonical/*/input.json")
	inputs = append(inputs, seedPath)
	masked := 0
	for _, p := range inputs {
		body, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s, err := oms.ParseSnapshot(body)
		if err != nil {
			continue // the corpus includes refused answers
		}
		red := Redact(s.Tree())
		again, err := oms.Canonicalize(red)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		got := oms.CanonicalJSON(red)
		if !bytes.Equal(got, again.JSON()) {
			t.Errorf("%s: the redacted tree's JSON differs from its canonical JSON:\n%s\n%s", p, got, again.JSON())
		}
		if !bytes.Equal(got, s.JSON()) {
			masked++
		}
	}
	if masked == 0 {
		t.Fatal("no input had anything to redact: the test does not cover a redaction")
	}
}

func TestSecretNames(t *testing.T) {
	for name, want := range map[string]bool{
		"Password": true, "DB_PASSWORD": true, "db.passwd": true, "AccessKeyId": true, "x-api-key": true,
		"PrivateKey": true, "user_pwd": true, "PWD": true, "Token": true, "ClientSecret": true, "Authorization": true,
		"access-key.secret": true, "SyncDelay": false, "Host": false, "Username": false, "pw": false, "": false,
		// Not ASCII: the Kelvin sign lowers to k, so this is "tokens".
		"TO\u212aENS": true, "Pässwort": false,
		"a_very_long_member_name_that_does_not_fit_the_buffer_on_the_stack_at_all_password": true,
	} {
		if got := secretName(name); got != want {
			t.Errorf("secretName(%q) = %v, want %v", name, got, want)
		}
	}
}

// The fast path folds ASCII by hand: it must say what lowering the name
// with the standard library says.
func FuzzSecretName(f *testing.F) {
	for _, s := range []string{"Password", "api_Key", "x.PWD", "TO\u212aEN", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if fast, slow := secretName(name), secretNameSlow(name); fast != slow {
			t.Fatalf("secretName(%q) = %v, the standard library's lowering says %v", name, fast, slow)
		}
	})
}
