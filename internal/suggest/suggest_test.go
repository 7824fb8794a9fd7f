package suggest

import "testing"

func TestSuggest(t *testing.T) {
	options := []string{"oms", "discovery", "schedule", "nats", "slack", "log", "region", "access_key_id"}
	for in, want := range map[string]string{
		"nat": "nats", "regoin": "region", "Region": "region", "acess_key_id": "access_key_id",
		"shcedule": "schedule", "xyz": "", "lgo": "log", "http": "",
	} {
		if got := Closest(in, options); got != want {
			t.Errorf("Closest(%q) = %q, want %q", in, got, want)
		}
	}
}
