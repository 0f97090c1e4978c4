package plateimg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"sync"

	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/vector"
)

// A minimal TrueType outline reader: enough of cmap (format 4), loca, glyf
// (simple and offset-only composite glyphs) and hmtx to draw the Go fonts.
// golang.org/x/image/font/opentype would do this, but it pulls in
// golang.org/x/text, which the module does not require.

// Font is a parsed TrueType font.
type Font struct {
	data                   []byte
	unitsPerEm             float32
	longLoca               bool
	numHMetric             int
	cmap, loca, glyf, hmtx []byte
	ascent                 float32 // hhea ascender, font units
}

var (
	fontOnce         sync.Once
	boldFont, monoFt *Font
	fontErr          error
)

func loadFonts() {
	fontOnce.Do(func() {
		boldFont, fontErr = ParseFont(gobold.TTF)
		if fontErr == nil {
			monoFt, fontErr = ParseFont(gomonobold.TTF)
		}
	})
	if fontErr != nil {
		panic("plateimg: " + fontErr.Error())
	}
}

// GoBold is the Go Bold font (sans serif, like most plate fonts).
func GoBold() *Font { loadFonts(); return boldFont }

// GoMonoBold is the Go Mono Bold font (slab serif, fixed width).
func GoMonoBold() *Font { loadFonts(); return monoFt }

// ParseFont reads the tables that drawing needs.
func ParseFont(data []byte) (*Font, error) {
	if len(data) < 12 {
		return nil, errors.New("font too short")
	}
	n := int(binary.BigEndian.Uint16(data[4:]))
	tables := map[string][]byte{}
	for i := 0; i < n; i++ {
		rec := data[12+16*i:]
		off := binary.BigEndian.Uint32(rec[8:])
		ln := binary.BigEndian.Uint32(rec[12:])
		if int(off)+int(ln) > len(data) {
			return nil, fmt.Errorf("table %q out of range", rec[:4])
		}
		tables[string(rec[:4])] = data[off : off+ln]
	}
	for _, t := range []string{"head", "cmap", "loca", "glyf", "hhea", "hmtx"} {
		if tables[t] == nil {
			return nil, fmt.Errorf("missing table %q", t)
		}
	}
	f := &Font{
		data:       data,
		unitsPerEm: float32(binary.BigEndian.Uint16(tables["head"][18:])),
		longLoca:   binary.BigEndian.Uint16(tables["head"][50:]) != 0,
		numHMetric: int(binary.BigEndian.Uint16(tables["hhea"][34:])),
		ascent:     float32(int16(binary.BigEndian.Uint16(tables["hhea"][4:]))),
		loca:       tables["loca"],
		glyf:       tables["glyf"],
		hmtx:       tables["hmtx"],
	}
	cm := tables["cmap"]
	nsub := int(binary.BigEndian.Uint16(cm[2:]))
	for i := 0; i < nsub; i++ {
		rec := cm[4+8*i:]
		pid, eid := binary.BigEndian.Uint16(rec), binary.BigEndian.Uint16(rec[2:])
		sub := cm[binary.BigEndian.Uint32(rec[4:]):]
		if binary.BigEndian.Uint16(sub) == 4 && (pid == 3 && eid == 1 || pid == 0) {
			f.cmap = sub
			break
		}
	}
	if f.cmap == nil {
		return nil, errors.New("no format 4 cmap")
	}
	return f, nil
}

func (f *Font) u16(b []byte, off int) int { return int(binary.BigEndian.Uint16(b[off:])) }

// index maps a rune (BMP only) to a glyph index; 0 when absent.
func (f *Font) index(r rune) int {
	if r > 0xffff {
		return 0
	}
	c := int(r)
	cm := f.cmap
	segX2 := f.u16(cm, 6)
	ends := 14
	starts := ends + segX2 + 2
	deltas := starts + segX2
	ranges := deltas + segX2
	for i := 0; i < segX2; i += 2 {
		end := f.u16(cm, ends+i)
		if end < c {
			continue
		}
		start := f.u16(cm, starts+i)
		if start > c {
			return 0
		}
		delta := f.u16(cm, deltas+i)
		ro := f.u16(cm, ranges+i)
		if ro == 0 {
			return (c + delta) & 0xffff
		}
		g := f.u16(cm, ranges+i+ro+2*(c-start))
		if g == 0 {
			return 0
		}
		return (g + delta) & 0xffff
	}
	return 0
}

// advance is the advance width of glyph g in font units.
func (f *Font) advance(g int) float32 {
	if g >= f.numHMetric {
		g = f.numHMetric - 1
	}
	return float32(f.u16(f.hmtx, 4*g))
}

func (f *Font) glyphData(g int) []byte {
	var a, b int
	if f.longLoca {
		a = int(binary.BigEndian.Uint32(f.loca[4*g:]))
		b = int(binary.BigEndian.Uint32(f.loca[4*g+4:]))
	} else {
		a = 2 * f.u16(f.loca, 2*g)
		b = 2 * f.u16(f.loca, 2*g+2)
	}
	if a >= b || b > len(f.glyf) {
		return nil
	}
	return f.glyf[a:b]
}

type pt struct {
	x, y float32
	on   bool
}

// contours returns the outline of glyph g in font units, y up.
func (f *Font) contours(g int, dx, dy float32, depth int) [][]pt {
	d := f.glyphData(g)
	if len(d) < 10 || depth > 4 {
		return nil
	}
	nc := int(int16(binary.BigEndian.Uint16(d)))
	if nc < 0 {
		return f.composite(d[10:], dx, dy, depth)
	}
	ends := make([]int, nc)
	for i := range ends {
		ends[i] = f.u16(d, 10+2*i)
	}
	if nc == 0 {
		return nil
	}
	np := ends[nc-1] + 1
	p := 10 + 2*nc
	p += 2 + f.u16(d, p) // instructions
	flags := make([]byte, 0, np)
	for len(flags) < np {
		fl := d[p]
		p++
		flags = append(flags, fl)
		if fl&8 != 0 {
			r := int(d[p])
			p++
			for ; r > 0; r-- {
				flags = append(flags, fl)
			}
		}
	}
	pts := make([]pt, np)
	var v int
	for i, fl := range flags {
		switch {
		case fl&2 != 0:
			if fl&16 != 0 {
				v += int(d[p])
			} else {
				v -= int(d[p])
			}
			p++
		case fl&16 == 0:
			v += int(int16(binary.BigEndian.Uint16(d[p:])))
			p += 2
		}
		pts[i].x = float32(v) + dx
		pts[i].on = fl&1 != 0
	}
	v = 0
	for i, fl := range flags {
		switch {
		case fl&4 != 0:
			if fl&32 != 0 {
				v += int(d[p])
			} else {
				v -= int(d[p])
			}
			p++
		case fl&32 == 0:
			v += int(int16(binary.BigEndian.Uint16(d[p:])))
			p += 2
		}
		pts[i].y = float32(v) + dy
	}
	out := make([][]pt, 0, nc)
	s := 0
	for _, e := range ends {
		out = append(out, pts[s:e+1])
		s = e + 1
	}
	return out
}

func (f *Font) composite(d []byte, dx, dy float32, depth int) [][]pt {
	var out [][]pt
	for p := 0; p+4 <= len(d); {
		fl := f.u16(d, p)
		g := f.u16(d, p+2)
		p += 4
		var ox, oy float32
		if fl&1 != 0 {
			ox = float32(int16(binary.BigEndian.Uint16(d[p:])))
			oy = float32(int16(binary.BigEndian.Uint16(d[p+2:])))
			p += 4
		} else {
			ox, oy = float32(int8(d[p])), float32(int8(d[p+1]))
			p += 2
		}
		switch {
		case fl&8 != 0:
			p += 2
		case fl&0x40 != 0:
			p += 4
		case fl&0x80 != 0:
			p += 8
		}
		out = append(out, f.contours(g, dx+ox, dy+oy, depth+1)...)
		if fl&0x20 == 0 {
			break
		}
	}
	return out
}

// Style places text in a box.
type Style struct {
	Font *Font
	// CapHeight is the pixel height of capital letters.
	CapHeight float64
	// Width, when > 0, condenses or stretches the text horizontally to this
	// many pixels (plates use condensed fonts).
	Width float64
	// Spacing adds this many pixels between glyphs.
	Spacing float64
}

const capHeightEm = 0.70 // cap height of the Go fonts, in em

// TextWidth is the natural width in pixels of s at the style's size.
func (st Style) TextWidth(s string) float64 {
	f := st.Font
	scale := st.CapHeight / capHeightEm / float64(f.unitsPerEm)
	var w float64
	for i, r := range s {
		if i > 0 {
			w += st.Spacing
		}
		w += float64(f.advance(f.index(r))) * scale
	}
	return w
}

// DrawText draws s onto dst with grey level ink; (x, y) is the left end of the
// baseline. Antialiased.
func DrawText(dst *image.Gray, s string, x, y float64, st Style, ink uint8) {
	f := st.Font
	sy := st.CapHeight / capHeightEm / float64(f.unitsPerEm)
	sx := sy
	if st.Width > 0 {
		nat := st.TextWidth(s) - st.Spacing*float64(len([]rune(s))-1)
		sx = sy * (st.Width - st.Spacing*float64(len([]rune(s))-1)) / nat
	}
	b := dst.Bounds()
	z := vector.NewRasterizer(b.Dx(), b.Dy())
	pen := x - float64(b.Min.X)
	base := y - float64(b.Min.Y)
	any := false
	for _, r := range s {
		g := f.index(r)
		for _, c := range f.contours(g, 0, 0, 0) {
			drawContour(z, c, func(p pt) (float32, float32) {
				return float32(pen + float64(p.x)*sx), float32(base - float64(p.y)*sy)
			})
			any = true
		}
		pen += float64(f.advance(g))*sx + st.Spacing
	}
	if !any {
		return
	}
	z.Draw(dst, b, image.NewUniform(color.Gray{Y: ink}), image.Point{})
}

func drawContour(z *vector.Rasterizer, c []pt, tf func(pt) (float32, float32)) {
	n := len(c)
	if n == 0 {
		return
	}
	// Find a starting on-curve point (or synthesise one).
	start := -1
	for i, p := range c {
		if p.on {
			start = i
			break
		}
	}
	var first pt
	if start < 0 {
		first = pt{(c[0].x + c[n-1].x) / 2, (c[0].y + c[n-1].y) / 2, true}
		start = 0
	} else {
		first = c[start]
		start++
	}
	fx, fy := tf(first)
	z.MoveTo(fx, fy)
	var ctrl *pt
	for k := 0; k < n; k++ {
		p := c[(start+k)%n]
		if p == first && k == n-1 && first.on {
			break
		}
		if p.on {
			px, py := tf(p)
			if ctrl != nil {
				cx, cy := tf(*ctrl)
				z.QuadTo(cx, cy, px, py)
				ctrl = nil
			} else {
				z.LineTo(px, py)
			}
			continue
		}
		if ctrl != nil {
			mid := pt{(ctrl.x + p.x) / 2, (ctrl.y + p.y) / 2, true}
			cx, cy := tf(*ctrl)
			mx, my := tf(mid)
			z.QuadTo(cx, cy, mx, my)
		}
		pp := p
		ctrl = &pp
	}
	if ctrl != nil {
		cx, cy := tf(*ctrl)
		z.QuadTo(cx, cy, fx, fy)
	}
	z.ClosePath()
}
