package workload

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// Stages returns the names of the named stages (FROM ... AS name) of the
// Dockerfile at path, lower-cased as BuildKit compares them.
func Stages(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("parsing Dockerfile %s: %w", path, err)
	}
	var out []string
	for _, n := range res.AST.Children {
		if !strings.EqualFold(n.Value, "from") {
			continue
		}
		var words []string
		for w := n.Next; w != nil; w = w.Next {
			words = append(words, w.Value)
		}
		if len(words) == 3 && strings.EqualFold(words[1], "as") {
			out = append(out, strings.ToLower(words[2]))
		}
	}
	return out, nil
}

// CheckTarget checks that target names a stage of the Dockerfile at path: a
// missing one fails every build of it ("target stage ... could not be
// found") after the stack has started. An empty target (the last stage) and
// a target that is a template are not checked.
func CheckTarget(path, target string) error {
	if target == "" || strings.Contains(target, "{{") {
		return nil
	}
	stages, err := Stages(path)
	if err != nil {
		return err
	}
	for _, s := range stages {
		if s == strings.ToLower(target) {
			return nil
		}
	}
	if len(stages) == 0 {
		return fmt.Errorf("target %q: Dockerfile %s has no named stage (FROM ... AS NAME)", target, path)
	}
	return fmt.Errorf("target %q: no such stage in Dockerfile %s; want one of %s", target, path, strings.Join(stages, ", "))
}
