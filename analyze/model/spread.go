package model

// The machine's between-trial spread, pooled over the cells of a sweep.
//
// A cell's trial speed factors (see Predict) measure how fast the machine
// was during each of its trials. A sweep gives each cell 3 to 6 trials,
// and 3 trials that happen to agree make a cell look steadier than the
// machine is: its interval is then narrower than the next run's drift (a
// heavy set's build fell 1.7 s outside a ±2% interval). The drift is the
// machine's, not the cell's: every cell of a sweep ran on the same host,
// interleaved rep by rep. So the spread is estimated from all of them at
// once, as the pooled within-cell variance of the log factors (one-way
// analysis of variance): each cell's log factors are taken about their own
// mean, the squared deviations summed over the cells and divided by the
// sum of (trials − 1). A cell then draws its new trial's factor about its
// own mean with the pooled standard deviation and the pooled degrees of
// freedom, which are many more than its own 2.
//
// Two measures of a trial's speed are pooled, and the larger spread is
// used. The image factor is the trial's mean image seconds over the cell's
// (what Predict scales the images by). The wall factor is the trial's wall
// time over the cell's mean wall, among the trials that built every image
// of the cell: it also carries what the per-image seconds leave out, such
// as the time of the stage the first wave shares (a three-phase build's
// builder stage), whose spread the image factors miss.

import "math"

// MinPooledDF is the fewest pooled degrees of freedom a Spread needs to be
// used: below 3 a t draw has no finite variance (see drawFactor).
const MinPooledDF = 3

// CellTrials is one sweep cell's observations, for PoolSpread.
type CellTrials struct {
	Images []ImageObs
	Trials []TrialObs
	// Crowding is the cell's crowding coefficient, as in PredictInput.
	Crowding float64
}

// Spread is the between-trial spread of the machine's speed, pooled over
// the cells of a sweep (see the top of this file).
type Spread struct {
	// LogSD is the pooled standard deviation of the log trial factors
	// (the larger of the image and the wall factors'), DF its degrees of
	// freedom and Cells the number of cells it pools (those with at
	// least 2 trials).
	LogSD float64 `json:"log_sd"`
	DF    int     `json:"df"`
	Cells int     `json:"cells"`
	// ImageLogSD and WallLogSD are the two measures' pooled standard
	// deviations (WallDF the wall's degrees of freedom).
	ImageLogSD float64 `json:"image_log_sd"`
	WallLogSD  float64 `json:"wall_log_sd"`
	WallDF     int     `json:"wall_df"`
}

// Usable says the spread has enough degrees of freedom to be drawn from,
// and more than own, a cell's own (its trials − 1).
func (s Spread) Usable(own int) bool {
	return s.DF >= MinPooledDF && s.DF > own && s.LogSD > 0 && isFinite(s.LogSD)
}

// PoolSpread pools the between-trial spread of the cells' speed factors.
// Cells with fewer than 2 trials add nothing. The zero Spread means no
// cell had 2 trials with factors.
func PoolSpread(cells []CellTrials) Spread {
	var s Spread
	var imageSS, wallSS float64
	imageDF := 0
	for _, ct := range cells {
		c, err := prepareCell(ct.Images, ct.Trials, nonNeg(ct.Crowding), Spread{})
		if err != nil {
			continue
		}
		if ss, df := logSS(c.factors); df > 0 {
			imageSS += ss
			imageDF += df
			s.Cells++
		}
		if ss, df := logSS(wallFactors(ct.Trials)); df > 0 {
			wallSS += ss
			s.WallDF += df
		}
	}
	if imageDF > 0 {
		s.ImageLogSD = math.Sqrt(imageSS / float64(imageDF))
	}
	if s.WallDF > 0 {
		s.WallLogSD = math.Sqrt(wallSS / float64(s.WallDF))
	}
	s.LogSD, s.DF = s.ImageLogSD, imageDF
	if s.WallLogSD > s.LogSD {
		s.LogSD, s.DF = s.WallLogSD, s.WallDF
	}
	if !isFinite(s.LogSD) {
		return Spread{}
	}
	return s
}

// wallFactors returns each trial's wall seconds over the mean wall of the
// trials that built as many images as the most any did (a trial cut short
// built fewer, and its wall says nothing about the machine).
func wallFactors(trials []TrialObs) []float64 {
	most := 0
	for _, t := range trials {
		most = max(most, t.Images)
	}
	var walls []float64
	for _, t := range trials {
		if t.Images == most && t.WallSeconds > 0 && isFinite(t.WallSeconds) {
			walls = append(walls, t.WallSeconds)
		}
	}
	if len(walls) < 2 {
		return nil
	}
	var mean float64
	for _, w := range walls {
		mean += w
	}
	mean /= float64(len(walls))
	for i := range walls {
		walls[i] /= mean
	}
	return walls
}

// logSS returns the sum of squared deviations of the logs of fs about
// their mean, and its degrees of freedom (len − 1; 0 with fewer than 2).
func logSS(fs []float64) (float64, int) {
	var logs []float64
	for _, f := range fs {
		if f > 0 && isFinite(f) {
			logs = append(logs, math.Log(f))
		}
	}
	if len(logs) < 2 {
		return 0, 0
	}
	var m float64
	for _, l := range logs {
		m += l
	}
	m /= float64(len(logs))
	var ss float64
	for _, l := range logs {
		ss += (l - m) * (l - m)
	}
	return ss, len(logs) - 1
}
