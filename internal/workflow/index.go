package workflow

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// parse reads the one YAML document of a workflow. A second document and a mapping key given
// twice are errors (GitHub rejects both), as is a file that is not YAML.
func parse(src []byte) (*yaml.Node, error) {
	// yaml.v3 decodes UTF-16 (after its byte order mark) and takes a
	// carriage return alone as a line break, but the rewrite edits the
	// file's bytes by line: every knob of such a file was reported as a
	// "multi-line, tagged or escaped value" and the file as having no
	// knobs, which was not what was wrong with it.
	for _, bom := range []struct{ mark, enc string }{
		{"\xff\xfe\x00\x00", "UTF-32"}, {"\x00\x00\xfe\xff", "UTF-32"}, {"\xff\xfe", "UTF-16"}, {"\xfe\xff", "UTF-16"},
	} {
		if bytes.HasPrefix(src, []byte(bom.mark)) {
			return nil, fmt.Errorf("%w: %s text (it starts with a byte order mark); want %s", ErrSyntax, bom.enc, wantYAML)
		}
	}
	if i := loneCR(src); i >= 0 {
		line := bytes.Count(src[:i], []byte("\n")) + 1
		return nil, fmt.Errorf("%w: line %d ends in a carriage return alone (classic Mac line ends); want a workflow with LF or CRLF line ends", ErrSyntax, line)
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &doc, nil
		}
		return nil, fmt.Errorf("%w: %w; want %s", ErrSyntax, err, wantYAML)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return nil, fmt.Errorf("%w: line %d: a second YAML document (after ---); a workflow file is one document", ErrSyntax, next.Line)
	case !errors.Is(err, io.EOF):
		return nil, fmt.Errorf("%w: %w; want %s", ErrSyntax, err, wantYAML)
	}
	if err := duplicateKeys(&doc, 0); err != nil {
		return nil, err
	}
	return &doc, nil
}

// loneCR returns the offset of the first carriage return in src that is
// not followed by a line feed, or -1.
func loneCR(src []byte) int {
	for i := bytes.IndexByte(src, '\r'); i >= 0; {
		if i+1 >= len(src) || src[i+1] != '\n' {
			return i
		}
		j := bytes.IndexByte(src[i+1:], '\r')
		if j < 0 {
			return -1
		}
		i += 1 + j
	}
	return -1
}

// wantYAML says what a file that does not parse should have been.
const wantYAML = "a GitHub Actions workflow or action: one YAML document in UTF-8 text"

// duplicateKeys reports the first mapping key given twice in one mapping.
func duplicateKeys(n *yaml.Node, depth int) error {
	if n == nil || depth > maxDepth {
		return nil
	}
	if n.Kind == yaml.MappingNode {
		first := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				continue
			}
			if line, ok := first[k.Value]; ok {
				return fmt.Errorf("%w: line %d: key %q is given twice in one mapping (first at line %d); GitHub rejects the file", ErrSyntax, k.Line, k.Value, line)
			}
			first[k.Value] = k.Line
		}
	}
	for _, c := range n.Content {
		if err := duplicateKeys(c, depth+1); err != nil {
			return err
		}
	}
	return nil
}

const (
	maxDepth = 1000
	// maxVisits bounds the walk that follows aliases, against alias bombs ("billion laughs").
	maxVisits = 200000
)

// use is one path by which a node is reached from the document root.
type use struct {
	path   string // e.g. "jobs.b.env.MAX_WORKERS"
	alias  string // path of the first alias on the way ("jobs.b.env"); "" when reached directly
	anchor string // that alias's anchor name
}

// index knows, for every node, the path where it is written and every path (through aliases)
// by which the workflow reads it.
type index struct {
	def      map[*yaml.Node]string
	uses     map[*yaml.Node][]use
	parent   map[*yaml.Node]*yaml.Node // the collection holding a node where it is written
	visits   int
	visiting map[*yaml.Node]bool
}

func newIndex(root *yaml.Node) (*index, error) {
	ix := &index{def: map[*yaml.Node]string{}, uses: map[*yaml.Node][]use{}, parent: map[*yaml.Node]*yaml.Node{}, visiting: map[*yaml.Node]bool{}}
	if err := ix.visit(root, nil, use{}, 0); err != nil {
		return nil, err
	}
	return ix, nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (ix *index) visit(n, parent *yaml.Node, u use, depth int) error {
	if n == nil {
		return nil
	}
	ix.visits++
	if ix.visits > maxVisits || depth > maxDepth {
		return fmt.Errorf("%w: too many aliases (the document expands to more than %d nodes)", ErrSyntax, maxVisits)
	}
	if n.Kind == yaml.AliasNode {
		if u.alias == "" {
			ix.def[n] = u.path
			ix.parent[n] = parent
		}
		if n.Alias == nil || ix.visiting[n.Alias] {
			return nil
		}
		if u.alias == "" {
			u.alias, u.anchor = u.path, n.Alias.Anchor
		}
		return ix.visit(n.Alias, nil, u, depth+1)
	}
	if u.alias == "" {
		ix.def[n] = u.path
		ix.parent[n] = parent
	}
	ix.uses[n] = append(ix.uses[n], u)
	ix.visiting[n] = true
	defer delete(ix.visiting, n)
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if err := ix.visit(c, n, u, depth+1); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if err := ix.visit(k, n, use{path: u.path + "#key", alias: u.alias, anchor: u.anchor}, depth+1); err != nil {
				return err
			}
			if k.Tag == "!!merge" && v.Kind == yaml.SequenceNode {
				// <<: [*a, *b] merges each mapping at this level.
				for _, c := range v.Content {
					if err := ix.visit(c, v, u, depth+1); err != nil {
						return err
					}
				}
				continue
			}
			cu := u
			if k.Tag != "!!merge" {
				cu.path = join(u.path, k.Value)
			}
			if err := ix.visit(v, n, cu, depth+1); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			cu := u
			cu.path = fmt.Sprintf("%s[%d]", u.path, i)
			if err := ix.visit(c, n, cu, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// resolve follows an alias to its anchored node.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil
	}
	return n
}

// shared returns the uses of n through an alias, when n is read in more than one place.
func (ix *index) shared(n *yaml.Node) []use {
	us := ix.uses[n]
	if len(us) < 2 {
		return nil
	}
	var out []use
	for _, u := range us {
		if u.alias != "" {
			out = append(out, u)
		}
	}
	return out
}
