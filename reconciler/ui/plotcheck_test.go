package ui

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// What a plot shows, read back from its SVG the way a reader's eye does:
// where the glyphs are and where the dashed lines run. The tests check the
// image maps of the pages against it.

// Point is a position in CSS pixels from a figure's top left corner.
type Point struct{ X, Y float64 }

// Segment is a straight dashed line of a figure, in CSS pixels.
type Segment struct{ X1, Y1, X2, Y2 float64 }

var (
	svgSize = regexp.MustCompile(`<svg width="([\d.]+)pt" height="([\d.]+)pt"`)
	svgPath = regexp.MustCompile(`<path d="([^"]+)" style="([^"]*)"`)
	svgNum  = regexp.MustCompile(`-?[\d.]+(?:e[-+]?\d+)?`)
)

// svgPaths returns each path's points (in points, y up as drawn) and style.
func svgPaths(svg string) (height float64, paths [][]Point, styles []string, err error) {
	m := svgSize.FindStringSubmatch(svg)
	if m == nil {
		return 0, nil, nil, fmt.Errorf("no <svg width height> in %.200s", svg)
	}
	height, _ = strconv.ParseFloat(m[2], 64)
	for _, p := range svgPath.FindAllStringSubmatch(svg, -1) {
		var pts []Point
		// Move, line and arc end points; an arc's radii and flags are
		// dropped (A r,r 0 f f x,y).
		for _, cmd := range regexp.MustCompile(`[MLA][^MLAZ]*`).FindAllString(p[1], -1) {
			nums := svgNum.FindAllString(cmd, -1)
			if len(nums) < 2 {
				continue
			}
			x, _ := strconv.ParseFloat(nums[len(nums)-2], 64)
			y, _ := strconv.ParseFloat(nums[len(nums)-1], 64)
			pts = append(pts, Point{x, y})
		}
		paths, styles = append(paths, pts), append(styles, p[2])
	}
	return height, paths, styles, nil
}

// toPixels turns a point as drawn (points, y up) into CSS pixels from the
// top left.
func toPixels(p Point, height float64) Point {
	return Point{p.X * pxPerPoint, (height - p.Y) * pxPerPoint}
}

// GlyphCenters returns the centre of every small path of the SVG (the
// plot's glyphs: circles, crosses, rings, triangles), in CSS pixels.
func GlyphCenters(svg string) ([]Point, error) {
	h, paths, _, err := svgPaths(svg)
	if err != nil {
		return nil, err
	}
	var out []Point
	for _, pts := range paths {
		lo, hi := bbox(pts)
		if len(pts) > 0 && hi.X-lo.X <= 14 && hi.Y-lo.Y <= 14 && (hi.X-lo.X > 0 || hi.Y-lo.Y > 0) {
			out = append(out, toPixels(Point{(lo.X + hi.X) / 2, (lo.Y + hi.Y) / 2}, h))
		}
	}
	return out, nil
}

// DashedLines returns the SVG's dashed straight horizontal lines longer
// than 100 points (a threshold, not its legend's sample), in CSS pixels.
func DashedLines(svg string) ([]Segment, error) {
	h, paths, styles, err := svgPaths(svg)
	if err != nil {
		return nil, err
	}
	var out []Segment
	for i, pts := range paths {
		if !strings.Contains(styles[i], "stroke-dasharray") || strings.Contains(styles[i], "stroke-dasharray:none") {
			continue
		}
		lo, hi := bbox(pts)
		if hi.Y == lo.Y && hi.X-lo.X > 100 {
			a, b := toPixels(lo, h), toPixels(hi, h)
			out = append(out, Segment{a.X, a.Y, b.X, b.Y})
		}
	}
	return out, nil
}

func bbox(pts []Point) (lo, hi Point) {
	lo, hi = Point{math.Inf(1), math.Inf(1)}, Point{math.Inf(-1), math.Inf(-1)}
	for _, p := range pts {
		lo.X, lo.Y = math.Min(lo.X, p.X), math.Min(lo.Y, p.Y)
		hi.X, hi.Y = math.Max(hi.X, p.X), math.Max(hi.Y, p.Y)
	}
	return lo, hi
}

// GlyphAt returns the glyph centre nearest to p (an image map's circle,
// rounded to whole pixels) and whether one is within 1.5 pixels.
func GlyphAt(glyphs []Point, p Point) (Point, bool) {
	best, dist := Point{}, math.Inf(1)
	for _, g := range glyphs {
		if d := math.Hypot(g.X-p.X, g.Y-p.Y); d < dist {
			best, dist = g, d
		}
	}
	return best, dist <= 1.5
}

// Linear checks that the glyphs' heights are a linear function of the
// values they plot, larger values higher, as one y axis draws them; it
// returns the function, to place other values (a threshold) on the axis.
func Linear(values, ys []float64) (func(float64) float64, error) {
	lo, hi := 0, 0
	for i, v := range values {
		if v < values[lo] {
			lo = i
		}
		if v > values[hi] {
			hi = i
		}
	}
	if values[lo] == values[hi] {
		return nil, fmt.Errorf("all values are %v: no scale to check", values[lo])
	}
	slope := (ys[hi] - ys[lo]) / (values[hi] - values[lo])
	if slope >= 0 {
		return nil, fmt.Errorf("value %v is drawn at y %.2f, below value %v at y %.2f", values[hi], ys[hi], values[lo], ys[lo])
	}
	at := func(v float64) float64 { return ys[lo] + (v-values[lo])*slope }
	for i, v := range values {
		if math.Abs(at(v)-ys[i]) > 0.1 {
			return nil, fmt.Errorf("value %v is drawn at y %.2f, the axis puts it at %.2f", v, ys[i], at(v))
		}
	}
	return at, nil
}

// PlotPoint is a point of a plot's image map: its centre in CSS pixels and
// the value it says it plots ("60.00%", "20ms", "25").
type PlotPoint struct {
	X, Y  float64
	Value string
}

// CheckPoints checks a plot's points against its SVG: a glyph is drawn at
// each, all on one linear scale with larger values higher; with a
// threshold (non-zero), a dashed line runs where that scale puts it.
func CheckPoints(svg string, points []PlotPoint, threshold float64) error {
	glyphs, err := GlyphCenters(svg)
	if err != nil {
		return err
	}
	var values, ys []float64
	for _, p := range points {
		g, ok := GlyphAt(glyphs, Point{p.X, p.Y})
		if !ok {
			return fmt.Errorf("no glyph drawn at point %s (%v,%v)", p.Value, p.X, p.Y)
		}
		v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSuffix(p.Value, "%"), "ms"), 64)
		if err != nil {
			return fmt.Errorf("point value %q: %w", p.Value, err)
		}
		values, ys = append(values, v), append(ys, g.Y)
	}
	at, err := Linear(values, ys)
	if err != nil || threshold == 0 {
		return err
	}
	lines, err := DashedLines(svg)
	if err != nil {
		return err
	}
	for _, l := range lines {
		if math.Abs(l.Y1-at(threshold)) < 0.1 {
			return nil
		}
	}
	return fmt.Errorf("dashed lines %v; the threshold %v belongs at y %.2f", lines, threshold, at(threshold))
}
