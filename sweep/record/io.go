package record

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// Writer appends records to a JSON-lines file, one line per record, synced
// to disk as each is written so that an interrupted run keeps all it wrote.
// It is safe for concurrent use.
type Writer struct {
	lines *Lines
	// Cut is the number of bytes of a torn last line that Create cut off
	// (a crash mid-write), so that the caller can say so.
	Cut int64
}

// Create opens path for appending records, creating it if needed. If the
// file ends in a torn line (a crash mid-write), the torn tail is cut off
// first (Writer.Cut says how much) so that the next record starts on a line
// of its own.
func Create(path string) (*Writer, error) {
	l, cut, err := OpenLines(path)
	if err != nil {
		return nil, fmt.Errorf("records: %w", err)
	}
	return &Writer{lines: l, Cut: cut}, nil
}

// Write appends one record (an *Image, *Trial or *Event) and
// syncs it. The version and kind keys are filled in.
func (w *Writer) Write(rec any) error {
	switch r := rec.(type) {
	case *Image:
		r.V, r.Kind = Version, KindImage
	case *Trial:
		r.V, r.Kind = Version, KindTrial
	case *Event:
		r.V, r.Kind = Version, KindEvent
	default:
		return fmt.Errorf("writing record: unsupported type %T", rec)
	}
	return w.lines.Append(rec)
}

// Close closes the file.
func (w *Writer) Close() error { return w.lines.Close() }

// Set is every record read from one file, by kind, in file order.
type Set struct {
	Images []Image
	Trials []Trial
	Events []Event
	// Torn is set when the last line was incomplete and was skipped.
	Torn bool
}

// Read parses records. A torn last line (no newline, not valid JSON) is
// tolerated and reported in Set.Torn; any other bad line is an error naming
// its line number. Lines of a newer format version are an error.
func Read(r io.Reader) (*Set, error) {
	set := &Set{}
	br := bufio.NewReaderSize(r, 1<<16)
	lineNo := 0
	for {
		line, err := br.ReadBytes('\n')
		if len(line) == 0 && err == io.EOF {
			return set, nil
		}
		if err != nil && err != io.EOF {
			return set, fmt.Errorf("reading line %d: %w", lineNo+1, err)
		}
		lineNo++
		last := err == io.EOF
		trimmed := bytes.TrimSpace(line)
		if len(trimmed) == 0 {
			if last {
				return set, nil
			}
			continue
		}
		if perr := set.add(trimmed); perr != nil {
			if last && line[len(line)-1] != '\n' {
				set.Torn = true
				return set, nil
			}
			return set, fmt.Errorf("records line %d: %w", lineNo, perr)
		}
		if last {
			return set, nil
		}
	}
}

// recordHead is the version and kind every line starts with.
type recordHead struct {
	V    int  `json:"v"`
	Kind Kind `json:"kind"`
}

// fastHead reads the head of a line the way Writer writes it,
// `{"v":N,"kind":"K",...`, without decoding the line; ok is false for any
// other shape, which the caller then decodes in full. The full decode of
// the record that follows still validates the whole line.
func fastHead(line []byte) (h recordHead, ok bool) {
	rest, found := bytes.CutPrefix(line, []byte(`{"v":`))
	if !found {
		return h, false
	}
	i := 0
	for i < len(rest) && i < 4 && rest[i] >= '0' && rest[i] <= '9' {
		h.V = h.V*10 + int(rest[i]-'0')
		i++
	}
	if i == 0 {
		return h, false
	}
	rest, found = bytes.CutPrefix(rest[i:], []byte(`,"kind":"`))
	if !found {
		return h, false
	}
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return h, false
	}
	h.Kind = Kind(rest[:end])
	return h, true
}

func (s *Set) add(line []byte) error {
	head, ok := fastHead(line)
	if !ok {
		if err := json.Unmarshal(line, &head); err != nil {
			return fmt.Errorf("not a JSON record: %w", err)
		}
	}
	if head.V < 1 || head.V > Version {
		return fmt.Errorf("record version %d: this buildtune reads versions 1 to %d", head.V, Version)
	}
	switch head.Kind {
	case KindImage:
		var r Image
		if err := json.Unmarshal(line, &r); err != nil {
			return fmt.Errorf("image record: %w", err)
		}
		if err := r.check(); err != nil {
			return fmt.Errorf("image record: %w", err)
		}
		s.Images = append(s.Images, r)
	case KindTrial:
		var r Trial
		if err := json.Unmarshal(line, &r); err != nil {
			return fmt.Errorf("trial record: %w", err)
		}
		if err := r.check(); err != nil {
			return fmt.Errorf("trial record: %w", err)
		}
		s.Trials = append(s.Trials, r)
	case KindEvent:
		var r Event
		if err := json.Unmarshal(line, &r); err != nil {
			return fmt.Errorf("event record: %w", err)
		}
		s.Events = append(s.Events, r)
	default:
		return fmt.Errorf("unknown record kind %q", head.Kind)
	}
	return nil
}

// ReadFile reads the records file at path.
func ReadFile(path string) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening records: %w", err)
	}
	defer f.Close()
	set, err := Read(f)
	if err != nil {
		return set, fmt.Errorf("%s: %w", path, err)
	}
	return set, nil
}
