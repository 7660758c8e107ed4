package manifest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/buildtune/buildtune/sweep/record"
)

// Writer appends Outputs to a manifest.jsonl, one line each, synced to disk
// as each is written (record.Lines). It is safe for concurrent use.
type Writer struct {
	lines *record.Lines
}

// Create opens path for appending, creating it if needed. A torn last line
// (no final newline and not valid JSON: a crash mid-write) is cut off
// first; cut is the number of bytes removed, so the caller can say so. An
// unterminated last line that is complete JSON is kept and terminated.
func Create(path string) (w *Writer, cut int64, err error) {
	l, cut, err := record.OpenLines(path)
	if err != nil {
		return nil, 0, fmt.Errorf("manifest: %w", err)
	}
	return &Writer{lines: l}, cut, nil
}

// Write validates o, appends it as one line and syncs the file.
func (w *Writer) Write(o Output) error {
	if err := o.Validate(); err != nil {
		return fmt.Errorf("writing %s: %w", w.lines.Path(), err)
	}
	return w.lines.Append(o)
}

// Close closes the file.
func (w *Writer) Close() error { return w.lines.Close() }

// Read returns every line of the manifest at path, in file order. A torn
// last line (no final newline, not valid JSON) is dropped and reported as
// tornTail; any other bad line is an error naming path:line.
func Read(path string) (outs []Output, tornTail bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, fmt.Errorf("opening manifest: %w", err)
	}
	defer f.Close()
	return decode(f, path)
}

func decode(r io.Reader, name string) ([]Output, bool, error) {
	var outs []Output
	br := bufio.NewReaderSize(r, 1<<16)
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return outs, false, fmt.Errorf("reading %s: %w", name, err)
		}
		last := err == io.EOF
		if len(bytes.TrimSpace(line)) > 0 {
			var o Output
			if perr := json.Unmarshal(line, &o); perr != nil {
				if last {
					// No final newline and cut short: a crash mid-write.
					return outs, true, nil
				}
				return outs, false, fmt.Errorf("%s:%d: %w", name, lineNo, lineError(line, perr))
			}
			if verr := o.Validate(); verr != nil {
				return outs, false, fmt.Errorf("%s:%d: %w", name, lineNo, verr)
			}
			outs = append(outs, o)
		}
		if last {
			return outs, false, nil
		}
	}
}

// lineError says what is wrong with a manifest line json.Unmarshal
// refused, in the manifest's terms: a line that is not a JSON object was
// reported as "cannot unmarshal array into Go value of type struct {
// *manifest.plain; ... }", a field of another type as "Go struct field
// .attempt_count of type int". Other errors (bad JSON, a bad time) pass as
// they are.
func lineError(line []byte, err error) error {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return err
	}
	if te.Field == "" {
		return fmt.Errorf("a JSON %s, not an object; want one JSON object per line (a build output)", te.Value)
	}
	want := "another type"
	switch te.Type.Kind() {
	case reflect.String:
		want = "a string"
	case reflect.Int, reflect.Int64, reflect.Float64:
		want = "a number"
	case reflect.Slice:
		want = "a list"
	case reflect.Bool:
		want = "true or false"
	case reflect.Pointer:
		want = "a string or null"
	}
	// The field path starts at the embedded struct UnmarshalJSON decodes into.
	return fmt.Errorf("%s: a JSON %s, want %s", strings.TrimPrefix(te.Field, "plain."), te.Value, want)
}

// writeAtomic writes data to path through a temporary file in the same
// folder and a rename, so a reader never sees a partial file.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
