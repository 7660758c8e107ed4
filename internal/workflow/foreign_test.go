package workflow

import (
	"errors"
	"strings"
	"testing"
)

// TestRewriteForeignCI: a CI file of another tool (GitLab CI's variables:, CircleCI's
// environment:, a docker compose file) sets the knobs where a GitHub Actions workflow does not
// read them. The refusal said "MAX_WORKERS is not set anywhere", which the user could see was
// false (it is set, on line 2); it now names the place and says the file is not a GitHub
// Actions workflow or action. A workflow that names a knob only in a place that is not
// rewritten (a github-script's script) gets the place named too.
func TestRewriteForeignCI(t *testing.T) {
	for _, tt := range []struct {
		name, src string
		want      []string
	}{
		{"gitlab variables", "variables:\n  MAX_WORKERS: \"16\"\n  BUILD_BATCH_SIZE: \"50\"\nbuild:\n  stage: build\n  script:\n    - python build.py\n",
			[]string{"line 2", "variables.MAX_WORKERS", "not a GitHub Actions workflow"}},
		{"gitlab script", "stages: [build]\nbuild:\n  stage: build\n  script:\n    - export BUILD_BATCH_SIZE=50\n    - python build.py\n",
			[]string{"line 5", "build.script[0]", "BUILD_BATCH_SIZE", "not a GitHub Actions workflow"}},
		{"compose", "services:\n  builder:\n    image: b\n    environment:\n      OPENHANDS_BUILDKIT_CACHE_MODE: max\n",
			[]string{"line 5", "services.builder.environment.OPENHANDS_BUILDKIT_CACHE_MODE", "not a GitHub Actions workflow"}},
		{"circleci", "version: 2.1\njobs:\n  build:\n    docker: [{image: cimg/base:current}]\n    environment:\n      MAX_WORKERS: 16\n    steps:\n      - run: ./build.sh\n",
			[]string{"line 6", "jobs.build.environment.MAX_WORKERS", "not a GitHub Actions workflow (no on:)"}},
		{"github-script", "on: push\njobs:\n  b:\n    runs-on: x\n    steps:\n      - uses: actions/github-script@v7\n        with:\n          script: core.exportVariable('MAX_WORKERS', '16')\n",
			[]string{"line 8", "jobs.b.steps[0].with.script names MAX_WORKERS", "not as a value this rewrite changes"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Rewrite([]byte(tt.src), tuned, Options{})
			if !errors.Is(err, ErrNoKnobs) {
				t.Fatalf("err = %v, want ErrNoKnobs", err)
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
			if strings.Contains(msg, "not set anywhere") || strings.Contains(msg, "\n") || tt.name == "github-script" && strings.Contains(msg, "not a GitHub") {
				t.Errorf("error %q: want one line, without claiming the knob is not set", msg)
			}
		})
	}
	// A GitHub Actions workflow without knobs still says they are not set.
	_, err := Rewrite([]byte("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: make\n"), tuned, Options{})
	if !errors.Is(err, ErrNoKnobs) || !strings.Contains(err.Error(), "not set anywhere") {
		t.Errorf("workflow without knobs: %v", err)
	}
}
