package plot

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Save writes d as dir/base.png (at DPI dots per inch) and dir/base.svg,
// creating dir if needed, and returns both paths. A zero w or h means the
// chart's suggested size (DefaultWidth x DefaultHeight for a bare plot), a
// chart's made tall enough for its legend.
func Save(d Drawer, dir, base string, w, h vg.Length) (pngPath, svgPath string, err error) {
	if base == "" || strings.ContainsAny(base, `/\`) {
		return "", "", fmt.Errorf("saving chart: base name %q must be a plain file name", base)
	}
	png, err := PNG(d, w, h)
	if err != nil {
		return "", "", fmt.Errorf("saving chart %s: %w", base, err)
	}
	svg, err := SVG(d, w, h)
	if err != nil {
		return "", "", fmt.Errorf("saving chart %s: %w", base, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("saving chart %s: %w", base, err)
	}
	pngPath = filepath.Join(dir, base+".png")
	svgPath = filepath.Join(dir, base+".svg")
	if err := os.WriteFile(pngPath, png, 0o644); err != nil {
		return "", "", fmt.Errorf("saving chart %s: %w", base, err)
	}
	if err := os.WriteFile(svgPath, svg, 0o644); err != nil {
		return "", "", fmt.Errorf("saving chart %s: %w", base, err)
	}
	return pngPath, svgPath, nil
}

// SVG renders d as an SVG document of w x h (zero: the suggested size), for
// inlining in HTML. Fonts are referenced by name (Liberation Sans, metric
// compatible with Arial), not embedded.
func SVG(d Drawer, w, h vg.Length) ([]byte, error) {
	w, h, err := size(d, w, h)
	if err != nil {
		return nil, fmt.Errorf("rendering svg: %w", err)
	}
	c := vgsvg.New(w, h)
	if err := drawSafely(d, draw.New(c)); err != nil {
		return nil, fmt.Errorf("rendering svg: %w", err)
	}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("rendering svg: %w", err)
	}
	return buf.Bytes(), nil
}

// PNG renders d as a PNG image of w x h (zero: the suggested size) at DPI
// dots per inch.
func PNG(d Drawer, w, h vg.Length) ([]byte, error) {
	w, h, err := size(d, w, h)
	if err != nil {
		return nil, fmt.Errorf("rendering png: %w", err)
	}
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI))
	if err := drawSafely(d, draw.New(c)); err != nil {
		return nil, fmt.Errorf("rendering png: %w", err)
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("rendering png: %w", err)
	}
	return buf.Bytes(), nil
}

func size(d Drawer, w, h vg.Length) (vg.Length, vg.Length, error) {
	if d == nil {
		return 0, 0, errors.New("nothing to draw")
	}
	if ch, ok := d.(*Chart); ok {
		if ch == nil {
			return 0, 0, errors.New("nothing to draw")
		}
		if w == 0 {
			w = ch.Width
		}
		if h == 0 {
			h = max(ch.Height, ch.minHeight())
		}
	}
	if w == 0 {
		w = DefaultWidth
	}
	if h == 0 {
		h = DefaultHeight
	}
	if w < 0 || h < 0 {
		return 0, 0, fmt.Errorf("size %v x %v is negative", w, h)
	}
	return w, h, nil
}

// drawSafely turns a panic inside gonum/plot into an error, so that one bad
// chart cannot take a whole report down.
func drawSafely(d Drawer, c draw.Canvas) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("drawing: %v", r)
		}
	}()
	d.Draw(c)
	return nil
}
