package ui

import (
	"bytes"
	"image/color"
	"io"
	"math"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/gitcanary/gitcanary/reconciler"
)

// Sizes of the plots, in points (an SVG's unit; a browser shows 4/3 px
// per point).
const (
	plotWidth    = vg.Length(720)
	legendWidth  = vg.Length(150)
	weightHeight = vg.Length(250)
	metricHeight = vg.Length(200)
	pxPerPoint   = 4.0 / 3
)

// Colours of what the plots mark.
var (
	colorWeight    = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	colorPassed    = color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}
	colorFailed    = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	colorThreshold = color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}
	colorGate      = color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff}
	colorMuted     = color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff}
	colorPrimary   = color.RGBA{R: 0x17, G: 0xbe, B: 0xcf, A: 0xff}
)

// chart is one plot with its legend (drawn beside it) and the points its
// image map links to their commits.
type chart struct {
	p      *plot.Plot
	legend plot.Legend
	marks  []mark
	height vg.Length
}

// mark is a plotted point, in data coordinates, and what it links to.
type mark struct {
	x, y  float64
	sha   string
	title string
	// value is the plotted value as the commit writes it.
	value string
}

// figure is charts drawn as one SVG, with the image map of their points.
type figure struct {
	SVG []byte
	// Width and Height are the SVG's size in CSS pixels.
	Width, Height int
	Areas         []area
}

// area is a point of a figure in CSS pixels from its top left corner.
type area struct {
	X, Y, R int
	SHA     string
	Title   string
	Value   string
}

// newChart starts a plot over the rollout's time range with the house
// style: a time axis, a grid, a legend beside it.
func newChart(title, ylabel string, xr timeRange, height vg.Length) *chart {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = sans(12)
	p.Y.Label.Text = ylabel
	p.Y.Label.TextStyle.Font = sans(10)
	p.X.Tick.Label.Font, p.Y.Tick.Label.Font = sans(10), sans(10)
	p.Y.Tick.Marker = plainTicks{}
	p.X.Min, p.X.Max = xr.min, xr.max
	p.X.Tick.Marker = plot.TimeTicks{Format: xr.format()}
	p.Add(plotter.NewGrid())
	leg := plot.NewLegend()
	leg.Top, leg.Left = true, true
	leg.TextStyle.Font = sans(10)
	leg.ThumbnailWidth = vg.Points(14)
	leg.Padding = vg.Points(3)
	return &chart{p: p, legend: leg, height: height}
}

// sans is the plots' font (the SVG names it; a browser without it uses
// its own sans-serif).
func sans(size vg.Length) font.Font {
	return font.Font{Typeface: "Liberation", Variant: "Sans", Size: size}
}

// plainTicks are plot.DefaultTicks labelled with the digits they need:
// "500", not "500.00".
type plainTicks struct{}

// Ticks returns the ticks between min and max.
func (plainTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i, t := range ticks {
		if t.Label != "" {
			ticks[i].Label = strconv.FormatFloat(t.Value, 'g', 6, 64)
		}
	}
	return ticks
}

// scatter adds points drawn with glyph and colour, named in the legend.
func (c *chart) scatter(name string, xys plotter.XYs, glyph draw.GlyphDrawer, col color.Color, radius vg.Length) {
	if len(xys) == 0 {
		return
	}
	s, err := plotter.NewScatter(xys)
	if err != nil {
		return // NaN or Inf: nothing to draw
	}
	s.GlyphStyle = draw.GlyphStyle{Shape: glyph, Color: col, Radius: radius}
	c.p.Add(s)
	c.legend.Add(name, s)
}

// line adds a line through xys; a dashed one is named in the legend.
func (c *chart) line(name string, xys plotter.XYs, col color.Color, dashed bool, step plotter.StepKind) {
	if len(xys) == 0 {
		return
	}
	l, err := plotter.NewLine(xys)
	if err != nil {
		return
	}
	l.LineStyle = draw.LineStyle{Color: col, Width: vg.Points(1.2)}
	if dashed {
		l.LineStyle.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	}
	l.StepStyle = step
	c.p.Add(l)
	if name != "" {
		c.legend.Add(name, l)
	}
}

// labels writes texts beside points.
func (c *chart) labels(xys plotter.XYs, texts []string, col color.Color) {
	if len(xys) == 0 {
		return
	}
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: texts})
	if err != nil {
		return
	}
	for i := range l.TextStyle {
		l.TextStyle[i].Font = sans(9)
		l.TextStyle[i].Color = col
	}
	l.Offset = vg.Point{X: vg.Points(5), Y: vg.Points(4)}
	c.p.Add(l)
}

// render draws charts one above the other as one SVG.
func render(charts ...*chart) (figure, error) {
	var h vg.Length
	for _, c := range charts {
		h += c.height
	}
	canvas := vgsvg.New(plotWidth, h)
	dc := draw.New(canvas)
	dc.SetColor(color.White) // legends included: readable on a dark page
	dc.Fill(dc.Rectangle.Path())
	fig := figure{Width: px(plotWidth), Height: px(h)}
	top := h
	for _, c := range charts {
		box := dc
		box.Min.Y, box.Max.Y = top-c.height, top
		plotArea := draw.Crop(box, 0, -legendWidth, 0, 0)
		c.p.Draw(plotArea)
		legendArea := draw.Crop(box, plotWidth-legendWidth+vg.Points(10), 0, 0, -vg.Points(24))
		c.legend.Draw(legendArea)
		data := c.p.DataCanvas(plotArea)
		toX, toY := c.p.Transforms(&data)
		for _, m := range c.marks {
			fig.Areas = append(fig.Areas, area{
				X: px(toX(m.x)), Y: px(h - toY(m.y)), R: 6,
				SHA: m.sha, Title: m.title, Value: m.value,
			})
		}
		top -= c.height
	}
	var buf bytes.Buffer
	if _, err := canvas.WriteTo(&buf); err != nil {
		return figure{}, err
	}
	fig.SVG = buf.Bytes()
	return fig, nil
}

func px(l vg.Length) int { return int(math.Round(l.Points() * pxPerPoint)) }

// timeRange is the x range of a rollout's plots, in Unix seconds.
type timeRange struct{ min, max float64 }

// rolloutRange spans the commits of a rollout, and the merges among them,
// with a margin.
func rolloutRange(steps []reconciler.Transition) timeRange {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, e := range steps {
		for _, t := range []time.Time{e.Time, mergeTime(e)} {
			if !t.IsZero() {
				lo, hi = math.Min(lo, unix(t)), math.Max(hi, unix(t))
			}
		}
	}
	if math.IsInf(lo, 0) {
		return timeRange{0, 1}
	}
	pad := math.Max((hi-lo)*0.04, 1)
	return timeRange{lo - pad, hi + pad}
}

// format is how the time ticks print: the time of day, with the date
// when the range spans more than a day.
func (r timeRange) format() string {
	if r.max-r.min > 24*3600 {
		return "Jan 2 15:04"
	}
	return "15:04:05"
}

func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func mergeTime(e reconciler.Transition) time.Time {
	if e.Merge == nil {
		return time.Time{}
	}
	return e.Merge.Time
}

// WriteRolloutSVG writes the plots of a rollout — its weight steps and
// one plot per metric with its threshold — as one SVG: what `gitcanary
// history NAME --svg FILE` writes for a pull request or a chat message.
// steps are the rollout's transitions (Rollout.Transitions).
func WriteRolloutSVG(w io.Writer, canary string, threshold int, steps []reconciler.Transition) error {
	charts := []*chart{weightChart(canary, threshold, steps)}
	charts = append(charts, metricCharts(steps)...)
	fig, err := render(charts...)
	if err != nil {
		return err
	}
	_, err = w.Write(fig.SVG)
	return err
}
