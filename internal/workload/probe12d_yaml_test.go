package workload

import (
	"strings"
	"testing"
)

const probe12dPlans = `plans:
  single:
    per_instance:
      - {name: image, context_dir: /c, tags: ["{{.Registry}}/t/a:{{.Slug}}"]}
`

// TestProbe12dWorkloadSecondDocument: a workload file of two YAML documents
// (two workloads pasted into one file, after ---) was read as its first one,
// the second dropped without a word, as a profile's is not.
func TestProbe12dWorkloadSecondDocument(t *testing.T) {
	body := "instances: [{id: acme__web-1}]\n" + probe12dPlans + "---\nname: other\ninstances: [{id: acme__web-2}]\n"
	_, err := Parse([]byte(body), "w.yaml", "/")
	if err == nil || !strings.Contains(err.Error(), "w.yaml") || !strings.Contains(err.Error(), "second YAML document") || !strings.Contains(err.Error(), "line 6") {
		t.Errorf("two documents: %v, want refused naming the file and the second document's line", err)
	}
	// A trailing --- (or one before the only document) is no second document.
	for _, ok := range []string{"---\ninstances: [{id: acme__web-1}]\n" + probe12dPlans, "instances: [{id: acme__web-1}]\n" + probe12dPlans + "---\n"} {
		if _, err := Parse([]byte(ok), "w.yaml", "/"); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}

// TestProbe12dWorkloadDuplicateID: an id listed twice, spelled the same,
// was said to "differ only in case" from itself.
func TestProbe12dWorkloadDuplicateID(t *testing.T) {
	_, err := Parse([]byte("instances: [{id: acme__web-1}, {id: acme__web-2}, {id: acme__web-1}]\n"+probe12dPlans), "w.yaml", "/")
	if err == nil || !strings.Contains(err.Error(), "instances[2]: acme__web-1 repeats instances[0]") || strings.Contains(err.Error(), "differ only in case") {
		t.Errorf("exact duplicate: %v, want instances[2] said to repeat instances[0]", err)
	}
}

// TestProbe12dWorkloadSlugOfOtherIDs: ids not of the form {org}__{name}
// (web1, web2) give {{.Org}}, {{.Name}} and {{.Slug}} nothing of the
// instance, so a {{.Slug}} tag gives them all one tag. The refusal said to
// use "a tag template that names the instance, such as {{.Slug}}", the
// template it had.
func TestProbe12dWorkloadSlugOfOtherIDs(t *testing.T) {
	_, err := Parse([]byte("instances: [{id: web1}, {id: web2}]\n"+probe12dPlans), "w.yaml", "/")
	if err == nil || !strings.Contains(err.Error(), "web1") || !strings.Contains(err.Error(), "{{.ID}}") ||
		!strings.Contains(err.Error(), "{org}__{name}") || strings.Contains(err.Error(), "such as {{.Slug}}") {
		t.Errorf("{{.Slug}} of ids web1, web2: %v, want the ids' shape named and {{.ID}} suggested", err)
	}
	// Given org and name, the same ids have a slug each.
	if _, err := Parse([]byte("instances: [{id: web1, org: acme, name: web-1}, {id: web2, org: acme, name: web-2}]\n"+probe12dPlans), "w.yaml", "/"); err != nil {
		t.Errorf("ids with org and name: %v", err)
	}
}

// TestProbe12dWorkloadPhaseNames: two phases of a plan with one name (or
// none) were taken: their builds of an instance got one id, so one trace
// file overwrote the other, and the records could not tell them apart.
func TestProbe12dWorkloadPhaseNames(t *testing.T) {
	for _, tt := range []struct{ plan, want string }{
		{"per_instance: [{name: image, context_dir: /c, tags: ['r/a:{{.Slug}}']}, {name: image, context_dir: /c, tags: ['r/b:{{.Slug}}']}]",
			`plan single: per_instance[0] and per_instance[1] are both named "image"`},
		{"shared: [{name: base, context_dir: /c, tags: ['r/s:x']}]\n    per_instance: [{name: base, context_dir: /c, tags: ['r/b:{{.Slug}}']}]",
			`plan single: shared[0] and per_instance[0] are both named "base"`},
		{"per_instance: [{context_dir: /c, tags: ['r/a:{{.Slug}}']}, {name: final, context_dir: /c, tags: ['r/b:{{.Slug}}']}]",
			"plan single: per_instance[0] has no name"},
	} {
		body := "instances: [{id: acme__web-1}]\nplans:\n  single:\n    " + tt.plan + "\n"
		_, err := Parse([]byte(body), "w.yaml", "/")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.plan, err, tt.want)
		}
	}
	// One unnamed phase is the instance's only build.
	if _, err := Parse([]byte("instances: [{id: acme__web-1}]\nplans:\n  single:\n    per_instance: [{context_dir: /c, tags: ['r/a:{{.Slug}}']}]\n"), "w.yaml", "/"); err != nil {
		t.Errorf("one unnamed phase: %v", err)
	}
}

// TestProbe12dWorkloadSharedRefs: a shared phase (built once per trial, for
// no instance) whose tag names the instance, "{{.Registry}}/b:{{.Slug}}",
// expands to no image reference ("r/b:"); it was taken, and every trial of
// the plan failed when the shared build pushed.
func TestProbe12dWorkloadSharedRefs(t *testing.T) {
	for _, shared := range []string{
		`{name: builder, context_dir: /c, tags: ["{{.Registry}}/b:{{.Slug}}"]}`,
		`{name: builder, context_dir: /c, tags: ["{{.Registry}}/b:x"], cache_to: "{{.Registry}}/b/{{.Name}}:cache"}`,
	} {
		body := "instances: [{id: acme__web-1}]\nregistry: 127.0.0.1:5000\nplans:\n  three-phase:\n    shared: [" + shared + "]\n    per_instance: [{name: image, context_dir: /c, tags: ['r/a:{{.Slug}}']}]\n"
		_, err := Parse([]byte(body), "w.yaml", "/")
		if err == nil || !strings.Contains(err.Error(), "shared phase builder") || !strings.Contains(err.Error(), "for no instance") {
			t.Errorf("%s: %v, want the shared phase's reference refused, saying it is built for no instance", shared, err)
		}
	}
}
