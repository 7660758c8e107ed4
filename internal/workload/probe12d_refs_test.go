package workload

import (
	"strings"
	"testing"
)

// TestProbe12dRefGrammar: go-containerregistry's parser checks a reference's
// characters, not the grammar BuildKit parses it by: a template giving an
// empty path component ("r//img:x" for an id with no org, "r/b/:c" in a
// shared phase) or a tag that starts with "-" or "." passed every check,
// and every build of it failed when it pushed.
func TestProbe12dRefGrammar(t *testing.T) {
	for _, tt := range []struct{ instances, tag, want string }{
		{"[{id: web1}, {id: web2}]", "{{.Registry}}/{{.Org}}/img:{{.ID}}", `instance web1: phase image tag 127.0.0.1:5000//img:web1 is not an image reference`},
		{"[{id: acme__web-1}]", "{{.Registry}}/img:{{.Repo}}-{{.Name}}", ""},
		{"[{id: web1, name: .x}]", "{{.Registry}}/img:{{.Name}}", `tag ".x"`},
		{"[{id: web1, name: x}]", "{{.Registry}}/img:-{{.Name}}", `tag "-x"`},
		{"[{id: web1, org: Acme-, name: x}]", "{{.Registry}}/{{.Org}}/i:{{.Name}}", "127.0.0.1:5000/Acme-/i:x is not an image reference"},
	} {
		body := "instances: " + tt.instances + "\nplans:\n  single:\n    per_instance: [{name: image, context_dir: /c, tags: ['" + tt.tag + "']}]\n"
		_, err := Parse([]byte(body), "w.yaml", "/")
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.tag, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s for %s: %v, want %q", tt.tag, tt.instances, err, tt.want)
		}
	}
}
