package workload

import (
	"reflect"
	"strings"
	"testing"
)

// TestProbe12dInstanceSubset: an --instances list given with a workload file
// that lists its instances picks among them. Each id was parsed as an
// SWT-Bench id on its own: the org, repo and name the workload file gives
// it (which its templates expand into tags and base images) were dropped,
// an id the file does not list was built with the file's plans all the
// same, and an id of another shape the file allows (web1) could not be
// listed at all.
func TestProbe12dInstanceSubset(t *testing.T) {
	listed := []Instance{
		{ID: "acme__web-1", Org: "acme", Repo: "frontend", Name: "custom-1"},
		{ID: "web2", Repo: "web"},
		{ID: "acme__api-3", Org: "acme", Repo: "api", Name: "api-3"},
	}
	got, err := ParseInstanceSubset([]byte("\xef\xbb\xbf# shard 1\r\nweb2\r\n\r\nacme__web-1\r\n"), "ids.txt", listed, "workload w.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if want := []Instance{listed[1], listed[0]}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	for _, tt := range []struct{ body, want string }{
		{"acme__web-1\nzzz__nothere-9\n", "ids.txt line 2: instance \"zzz__nothere-9\" is not one of the 3 instances of workload w.yaml"},
		{"ACME__WEB-1\n", "ids.txt line 1: instance \"ACME__WEB-1\" is not one of the 3 instances of workload w.yaml (it lists acme__web-1)"},
		{"web2\n\nweb2\n", "ids.txt line 3: instance web2 repeats line 1"},
		{"# none\n", "ids.txt: no instance ids"},
	} {
		_, err := ParseInstanceSubset([]byte(tt.body), "ids.txt", listed, "workload w.yaml")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err %v, want %q", tt.body, err, tt.want)
		}
	}
}
