package record

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// failingReader returns its text, then err.
type failingReader struct {
	text string
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.text == "" {
		return 0, f.err
	}
	n := copy(p, f.text)
	f.text = f.text[n:]
	return n, nil
}

// An I/O error names the line it stopped at once, and leaves the
// "reading records" context to the caller, which adds the file: the error
// of evidence.Load said "reading records" twice before.
func TestReadErrorNamesTheLine(t *testing.T) {
	disk := errors.New("input/output error")
	_, err := Read(&failingReader{text: "\n\n", err: disk})
	if !errors.Is(err, disk) {
		t.Fatalf("Read = %v, want the reader's error wrapped", err)
	}
	if got := err.Error(); got != "reading line 3: input/output error" {
		t.Errorf("Read error = %q, want %q", got, "reading line 3: input/output error")
	}
	if strings.Contains(err.Error(), "records") {
		t.Errorf("Read error %q names records: its callers do", err)
	}
	if _, err := Read(&failingReader{err: io.ErrUnexpectedEOF}); err == nil || !strings.HasPrefix(err.Error(), "reading line 1: ") {
		t.Errorf("Read of a reader failing at once = %v, want reading line 1", err)
	}
}
