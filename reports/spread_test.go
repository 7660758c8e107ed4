package reports

import (
	"testing"

	amodel "github.com/buildtune/buildtune/analyze/model"
)

// TestSpreadShown: the Model section states the pooled spread only when
// the predictions draw from it: pooled over two cells or more, with at
// least model.MinPooledDF degrees of freedom. A one-cell sweep (its own
// factors, bounded, which its warnings describe) states nothing.
func TestSpreadShown(t *testing.T) {
	for _, tc := range []struct {
		s    amodel.Spread
		want bool
	}{
		{amodel.Spread{LogSD: 0.17, DF: 1, Cells: 1}, false},
		{amodel.Spread{LogSD: 0.17, DF: 5, Cells: 1}, false},
		{amodel.Spread{LogSD: 0.03, DF: 2, Cells: 2}, false},
		{amodel.Spread{LogSD: 0.03, DF: 4, Cells: 2}, true},
	} {
		if got := spreadShown(tc.s); got != tc.want {
			t.Errorf("%+v: shown %v, want %v", tc.s, got, tc.want)
		}
	}
}
