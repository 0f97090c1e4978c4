//go:build cgo

package tess

// A thin bridge over Tesseract's C API (tesseract/capi.h). Everything that
// Tesseract allocates is freed before a call returns: the strings of the
// result iterator (TessDeleteText), the iterators themselves, and the page
// results (TessBaseAPIClear). Images are handed over as raw 8-bit grey
// pixels, which Tesseract copies; nothing of Go's memory is kept by C.
//
// Explicit flags rather than pkg-config: the arm64 cross build
// (tools/cross/build.sh) links against a sysroot through CGO_CPPFLAGS and
// CGO_LDFLAGS. Debian's libleptonica-dev provides libleptonica.so as a link
// to liblept.so (soname liblept.so.5). The bridge calls no Leptonica function
// itself (images go in as raw pixels), so with --as-needed the linker would
// drop it; it is kept as a direct dependency (--no-as-needed, scoped by
// push-state/pop-state) because the cross build checks that the daemon needs
// both libraries, and it names the library Tesseract's images live in.

/*
#cgo LDFLAGS: -ltesseract -Wl,--push-state,--no-as-needed -lleptonica -Wl,--pop-state
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <tesseract/capi.h>

enum { tbMaxText = 8, tbMaxAlts = 8 };

// tb_sym is one recognised symbol: its text, confidence and box, whether it
// starts a word, and Tesseract's alternatives (LSTM choices) for it.
typedef struct {
	char text[tbMaxText];
	float conf;
	int x0, y0, x1, y1;
	int word_start;
	int nalt;
	char alt[tbMaxAlts][tbMaxText];
	float altconf[tbMaxAlts];
} tb_sym;

static void tb_copy(char *dst, const char *src) {
	if (src == NULL) {
		dst[0] = 0;
		return;
	}
	size_t n = strlen(src);
	if (n >= tbMaxText) {
		n = tbMaxText - 1;
	}
	memcpy(dst, src, n);
	dst[n] = 0;
}

// Tesseract runs on the calling thread only. Debian builds it with OpenMP,
// and its LSTM forks four threads for every column of pixels (a "parallel
// sections" with num_threads(4), which omp_set_num_threads does not
// override): on a few cores already busy with other Readers that costs far
// more than it gains (a plate: 33 ms with it, 10 ms without).
// omp_set_max_active_levels(0) makes the parallel regions that the calling
// thread starts serial; libgomp keeps that setting per thread, and a cgo call
// may run on any thread, so tb_read sets it every time (it costs
// nanoseconds). It is looked up at run time so that a Tesseract built
// without OpenMP needs nothing.
static void (*tb_set_levels)(int);
static pthread_once_t tb_once = PTHREAD_ONCE_INIT;

static void tb_lookup(void) {
	tb_set_levels = (void (*)(int))dlsym(RTLD_DEFAULT, "omp_set_max_active_levels");
}

static void tb_serial(void) {
	pthread_once(&tb_once, tb_lookup);
	if (tb_set_levels != NULL) {
		tb_set_levels(0);
	}
}

// tb_open creates a handle for lang, with the model read from the
// directory datapath, or, when data is not NULL, from the size bytes at data
// (which Tesseract copies).
static TessBaseAPI *tb_open(const char *datapath, const char *data, int size, const char *lang, char **names, char **values, size_t n) {
	tb_serial();
	TessBaseAPI *h = TessBaseAPICreate();
	if (h == NULL) {
		return NULL;
	}
	int rc;
	if (data != NULL) {
		rc = TessBaseAPIInit5(h, data, size, lang, OEM_LSTM_ONLY, NULL, 0, names, values, n, 0);
	} else {
		rc = TessBaseAPIInit4(h, datapath, lang, OEM_LSTM_ONLY, NULL, 0, names, values, n, 0);
	}
	if (rc != 0) {
		TessBaseAPIDelete(h);
		return NULL;
	}
	return h;
}

static void tb_close(TessBaseAPI *h) {
	TessBaseAPIEnd(h);
	TessBaseAPIDelete(h);
}

// tb_read recognises the w x h grey image pix (stride bytes per line) with
// page segmentation mode psm and writes up to max symbols to out. It
// returns the number of symbols found (which may exceed max), or -1 when
// recognition failed.
static int tb_read(TessBaseAPI *h, const unsigned char *pix, int w, int hgt, int stride, int psm, tb_sym *out, int max) {
	tb_serial();
	TessBaseAPISetPageSegMode(h, (TessPageSegMode)psm);
	TessBaseAPISetImage(h, pix, w, hgt, 1, stride);
	TessBaseAPISetSourceResolution(h, 300);
	if (TessBaseAPIRecognize(h, NULL) != 0) {
		TessBaseAPIClear(h);
		return -1;
	}
	TessResultIterator *it = TessBaseAPIGetIterator(h);
	int n = 0;
	if (it != NULL) {
		const TessPageIterator *pit = TessResultIteratorGetPageIteratorConst(it);
		do {
			char *t = TessResultIteratorGetUTF8Text(it, RIL_SYMBOL);
			if (t == NULL) {
				continue;
			}
			if (n < max) {
				tb_sym *s = &out[n];
				memset(s, 0, sizeof *s);
				tb_copy(s->text, t);
				s->conf = TessResultIteratorConfidence(it, RIL_SYMBOL);
				TessPageIteratorBoundingBox(pit, RIL_SYMBOL, &s->x0, &s->y0, &s->x1, &s->y1);
				s->word_start = TessPageIteratorIsAtBeginningOf(pit, RIL_WORD) ? 1 : 0;
				TessChoiceIterator *ci = TessResultIteratorGetChoiceIterator(it);
				if (ci != NULL) {
					do {
						if (s->nalt == tbMaxAlts) {
							break;
						}
						tb_copy(s->alt[s->nalt], TessChoiceIteratorGetUTF8Text(ci));
						s->altconf[s->nalt] = TessChoiceIteratorConfidence(ci);
						s->nalt++;
					} while (TessChoiceIteratorNext(ci));
					TessChoiceIteratorDelete(ci);
				}
			}
			TessDeleteText(t);
			n++;
		} while (TessResultIteratorNext(it, RIL_SYMBOL));
		TessResultIteratorDelete(it);
	}
	TessBaseAPIClear(h);
	return n;
}
// tb_heap_in_use returns the bytes that malloc has handed out and not yet
// got back (glibc's mallinfo2), or -1 when the C library does not say. For
// the leak test.
struct tb_mallinfo2 {
	size_t arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
};

static long long tb_heap_in_use(void) {
	struct tb_mallinfo2 (*mi)(void) = (struct tb_mallinfo2 (*)(void))dlsym(RTLD_DEFAULT, "mallinfo2");
	if (mi == NULL) {
		return -1;
	}
	struct tb_mallinfo2 m = mi();
	return (long long)(m.uordblks + m.hblkhd);
}
*/
import "C"

import (
	"errors"
	"runtime"
	"sync"
	"unsafe"
)

// maxSyms is the most symbols one recognition reports; a plate has at most
// about ten.
const maxSyms = 64

// api is one Tesseract handle.
type api struct {
	h    *C.TessBaseAPI
	syms []C.tb_sym // reused across reads
}

// initMu serialises Tesseract initialisation, which touches process-wide
// state (its parameter tables, the tprintf debug file).
var initMu sync.Mutex

// openAPI creates a handle for language (several joined by "+") with the
// models in datapath ("" for Tesseract's built-in path), or, when model is
// not empty, with the model held in model (a .traineddata file's bytes), and
// the given variables, which are set before the models load (so init-only
// ones, such as load_system_dawg, work too).
func openAPI(datapath string, model []byte, language string, vars [][2]string) (*api, error) {
	var cdp *C.char
	if datapath != "" {
		cdp = C.CString(datapath)
		defer C.free(unsafe.Pointer(cdp))
	}
	clang := C.CString(language)
	defer C.free(unsafe.Pointer(clang))
	// Go memory that holds only C pointers may be passed to C.
	n := len(vars)
	names, values := make([]*C.char, n+1), make([]*C.char, n+1)
	for i, kv := range vars {
		names[i], values[i] = C.CString(kv[0]), C.CString(kv[1])
	}
	defer func() {
		for i := range vars {
			C.free(unsafe.Pointer(names[i]))
			C.free(unsafe.Pointer(values[i]))
		}
	}()
	initMu.Lock()
	var data *C.char
	if len(model) > 0 {
		data = (*C.char)(unsafe.Pointer(&model[0]))
	}
	h := C.tb_open(cdp, data, C.int(len(model)), clang, &names[0], &values[0], C.size_t(n))
	runtime.KeepAlive(model)
	initMu.Unlock()
	if h == nil {
		return nil, errors.New("tesseract could not load the language model")
	}
	return &api{h: h, syms: make([]C.tb_sym, maxSyms)}, nil
}

// close releases the handle. It is safe to call twice.
func (a *api) close() {
	if a.h != nil {
		C.tb_close(a.h)
		a.h = nil
	}
}

// read recognises the w x h grey image pix (stride bytes per row) in page
// segmentation mode psm and appends the symbols found to dst.
func (a *api) read(dst []sym, pix []uint8, w, h, stride, psm int) ([]sym, error) {
	if a.h == nil {
		return dst, errors.New("handle closed")
	}
	if w <= 0 || h <= 0 || len(pix) < (h-1)*stride+w {
		return dst, errors.New("bad image size")
	}
	n := C.tb_read(a.h, (*C.uchar)(unsafe.Pointer(&pix[0])), C.int(w), C.int(h), C.int(stride), C.int(psm), &a.syms[0], C.int(len(a.syms)))
	runtime.KeepAlive(pix)
	if n < 0 {
		return dst, errors.New("recognition failed")
	}
	for i := range min(int(n), len(a.syms)) {
		s := &a.syms[i]
		o := sym{
			text:      C.GoString(&s.text[0]),
			conf:      float64(s.conf),
			box:       [4]int{int(s.x0), int(s.y0), int(s.x1), int(s.y1)},
			wordStart: s.word_start != 0,
		}
		for j := range int(s.nalt) {
			o.choices = append(o.choices, alt{C.GoString(&s.alt[j][0]), float64(s.altconf[j])})
		}
		dst = append(dst, o)
	}
	return dst, nil
}

// heapInUse returns the bytes of C heap in use, or -1 when unknown.
func heapInUse() int64 { return int64(C.tb_heap_in_use()) }

// tessVersion returns the linked Tesseract's version.
func tessVersion() string { return C.GoString(C.TessVersion()) }
