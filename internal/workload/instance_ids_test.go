package workload

import (
	"strings"
	"testing"
)

// TestWorkloadFileIDs: a workload file's ids need not be SWT-Bench's,
// but an id with a line break or a tab, or longer than a file name, was
// taken: it split the records' and the manifest's lines, or failed the
// build when its log file could not be created. Ids of other shapes (a
// slash, spaces) stay allowed: the tags come from templates, checked on
// their own.
func TestWorkloadFileIDs(t *testing.T) {
	plans := "plans:\n  single: {per_instance: [{name: a, context_dir: ., tags: ['r/x:{{.Name}}']}]}\n"
	for _, tt := range []struct {
		id   string
		want string // "" = accepted
	}{
		{`"team/project#1"`, ""},
		{`"a b"`, ""},
		{`"x\ny"`, "no control characters"},
		{`"x\ty"`, "no control characters"},
		{strings.Repeat("a", 256), "at most 255 bytes"},
		{strings.Repeat("a", 255), ""},
	} {
		body := "instances:\n  - {id: " + tt.id + ", name: n1}\n" + plans
		_, err := Parse([]byte(body), "w.yaml", t.TempDir())
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("id %.40s: %v", tt.id, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "w.yaml")):
			t.Errorf("id %.40s: err %v, want it to say %q and name the file", tt.id, err, tt.want)
		}
	}
}
