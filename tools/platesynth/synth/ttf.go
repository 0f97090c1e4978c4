package synth

// A minimal TrueType reader: enough of cmap (format 4), hmtx, loca and glyf
// (simple and composite glyphs) to rasterise the embedded Go fonts with
// golang.org/x/image/vector. golang.org/x/image/font/opentype is not used
// because its sfnt package needs golang.org/x/text, which this module does
// not require.

import (
	"encoding/binary"
	"errors"
	"fmt"
)

type ttFont struct {
	data       []byte
	tables     map[string][]byte
	unitsPerEm float64
	ascent     float64 // font units, positive up
	descent    float64 // font units, positive down
	capHeight  float64
	longLoca   bool
	numGlyphs  int
	numHMetric int
	cmap       []byte // format 4 subtable
}

// ttPoint is an outline point in font units (y up).
type ttPoint struct {
	x, y    float64
	onCurve bool
}

var errTTF = errors.New("malformed TrueType font")

func u16(b []byte, off int) int {
	if off < 0 || off+2 > len(b) {
		panic(errTTF)
	}
	return int(binary.BigEndian.Uint16(b[off:]))
}

func i16(b []byte, off int) int { return int(int16(u16(b, off))) }

func u32(b []byte, off int) int {
	if off < 0 || off+4 > len(b) {
		panic(errTTF)
	}
	return int(binary.BigEndian.Uint32(b[off:]))
}

func parseTTF(data []byte) (f *ttFont, err error) {
	defer func() {
		if e := recover(); e != nil {
			f, err = nil, fmt.Errorf("%v", e)
		}
	}()
	f = &ttFont{data: data, tables: map[string][]byte{}}
	n := u16(data, 4)
	for i := 0; i < n; i++ {
		rec := 12 + 16*i
		tag := string(data[rec : rec+4])
		off, length := u32(data, rec+8), u32(data, rec+12)
		if off+length > len(data) {
			return nil, errTTF
		}
		f.tables[tag] = data[off : off+length]
	}
	for _, t := range []string{"head", "hhea", "hmtx", "maxp", "cmap", "loca", "glyf"} {
		if f.tables[t] == nil {
			return nil, fmt.Errorf("TrueType font without %q table", t)
		}
	}
	head, hhea := f.tables["head"], f.tables["hhea"]
	f.unitsPerEm = float64(u16(head, 18))
	f.longLoca = i16(head, 50) != 0
	f.ascent = float64(i16(hhea, 4))
	f.descent = -float64(i16(hhea, 6))
	f.numHMetric = u16(hhea, 34)
	f.numGlyphs = u16(f.tables["maxp"], 4)
	if os2 := f.tables["OS/2"]; len(os2) >= 90 && u16(os2, 0) >= 2 {
		f.capHeight = float64(i16(os2, 88))
	}
	cmap := f.tables["cmap"]
	for i := 0; i < u16(cmap, 2); i++ {
		rec := 4 + 8*i
		pid, eid, off := u16(cmap, rec), u16(cmap, rec+2), u32(cmap, rec+4)
		if (pid == 3 && eid == 1 || pid == 0) && u16(cmap, off) == 4 {
			f.cmap = cmap[off : off+u16(cmap, off+2)]
			break
		}
	}
	if f.cmap == nil {
		return nil, errors.New("TrueType font without a format 4 cmap")
	}
	if f.capHeight == 0 {
		_, _, _, maxY := f.bounds(f.glyphIndex('H'))
		f.capHeight = maxY
	}
	return f, nil
}

// glyphIndex maps a rune to a glyph index (0 = missing glyph).
func (f *ttFont) glyphIndex(r rune) int {
	if r < 0 || r > 0xffff {
		return 0
	}
	c := int(r)
	t := f.cmap
	segs := u16(t, 6) / 2
	ends, starts, deltas, ranges := 14, 16+2*segs, 16+4*segs, 16+6*segs
	for i := 0; i < segs; i++ {
		if u16(t, ends+2*i) < c {
			continue
		}
		start := u16(t, starts+2*i)
		if start > c {
			return 0
		}
		delta := u16(t, deltas+2*i)
		ro := u16(t, ranges+2*i)
		if ro == 0 {
			return (c + delta) & 0xffff
		}
		g := u16(t, ranges+2*i+ro+2*(c-start))
		if g == 0 {
			return 0
		}
		return (g + delta) & 0xffff
	}
	return 0
}

// advance is the glyph's advance width in font units.
func (f *ttFont) advance(g int) float64 {
	g = min(g, f.numHMetric-1)
	return float64(u16(f.tables["hmtx"], 4*g))
}

func (f *ttFont) glyphData(g int) []byte {
	if g < 0 || g >= f.numGlyphs {
		return nil
	}
	loca := f.tables["loca"]
	var a, b int
	if f.longLoca {
		a, b = u32(loca, 4*g), u32(loca, 4*g+4)
	} else {
		a, b = 2*u16(loca, 2*g), 2*u16(loca, 2*g+2)
	}
	glyf := f.tables["glyf"]
	if a >= b || b > len(glyf) {
		return nil
	}
	return glyf[a:b]
}

func (f *ttFont) bounds(g int) (minX, minY, maxX, maxY float64) {
	d := f.glyphData(g)
	if d == nil {
		return 0, 0, 0, 0
	}
	return float64(i16(d, 2)), float64(i16(d, 4)), float64(i16(d, 6)), float64(i16(d, 8))
}

// contours returns glyph g's closed contours in font units.
func (f *ttFont) contours(g int, depth int) [][]ttPoint {
	d := f.glyphData(g)
	if d == nil || depth > 8 {
		return nil
	}
	nc := i16(d, 0)
	if nc < 0 {
		return f.composite(d, depth)
	}
	ends := make([]int, nc)
	for i := range ends {
		ends[i] = u16(d, 10+2*i)
	}
	if nc == 0 {
		return nil
	}
	np := ends[nc-1] + 1
	p := 10 + 2*nc
	p += 2 + u16(d, p) // skip instructions
	flags := make([]byte, 0, np)
	for len(flags) < np {
		if p >= len(d) {
			panic(errTTF)
		}
		fl := d[p]
		p++
		flags = append(flags, fl)
		if fl&8 != 0 {
			if p >= len(d) {
				panic(errTTF)
			}
			for k := int(d[p]); k > 0 && len(flags) < np; k-- {
				flags = append(flags, fl)
			}
			p++
		}
	}
	pts := make([]ttPoint, np)
	readCoords := func(short, same byte, set func(i int, v float64)) {
		v := 0
		for i, fl := range flags {
			switch {
			case fl&short != 0:
				if p >= len(d) {
					panic(errTTF)
				}
				dv := int(d[p])
				p++
				if fl&same == 0 {
					dv = -dv
				}
				v += dv
			case fl&same == 0:
				v += i16(d, p)
				p += 2
			}
			set(i, float64(v))
		}
	}
	readCoords(2, 16, func(i int, v float64) { pts[i].x = v })
	readCoords(4, 32, func(i int, v float64) { pts[i].y = v })
	for i, fl := range flags {
		pts[i].onCurve = fl&1 != 0
	}
	out := make([][]ttPoint, 0, nc)
	start := 0
	for _, e := range ends {
		if e+1 > np || e < start-1 {
			panic(errTTF)
		}
		out = append(out, pts[start:e+1])
		start = e + 1
	}
	return out
}

func (f *ttFont) composite(d []byte, depth int) [][]ttPoint {
	var out [][]ttPoint
	p := 10
	for {
		flags, g := u16(d, p), u16(d, p+2)
		p += 4
		var dx, dy float64
		if flags&1 != 0 { // ARG_1_AND_2_ARE_WORDS
			dx, dy = float64(i16(d, p)), float64(i16(d, p+2))
			p += 4
		} else {
			if p+2 > len(d) {
				panic(errTTF)
			}
			dx, dy = float64(int8(d[p])), float64(int8(d[p+1]))
			p += 2
		}
		if flags&2 == 0 { // point matching: not supported, place at origin
			dx, dy = 0, 0
		}
		a, b, c, e := 1.0, 0.0, 0.0, 1.0
		f2 := func(off int) float64 { return float64(i16(d, off)) / 16384 }
		switch {
		case flags&8 != 0: // WE_HAVE_A_SCALE
			a = f2(p)
			e = a
			p += 2
		case flags&0x40 != 0: // X_AND_Y_SCALE
			a, e = f2(p), f2(p+2)
			p += 4
		case flags&0x80 != 0: // TWO_BY_TWO
			a, b, c, e = f2(p), f2(p+2), f2(p+4), f2(p+6)
			p += 8
		}
		for _, ct := range f.contours(g, depth+1) {
			t := make([]ttPoint, len(ct))
			for i, q := range ct {
				t[i] = ttPoint{a*q.x + c*q.y + dx, b*q.x + e*q.y + dy, q.onCurve}
			}
			out = append(out, t)
		}
		if flags&0x20 == 0 { // MORE_COMPONENTS
			return out
		}
	}
}
