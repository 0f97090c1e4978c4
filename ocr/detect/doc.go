// Package detect finds licence-plate candidates in a luma frame. It is pure Go
// (no cgo) and allocates little per frame.
//
// The method is classic and cheap, a first stage meant to be replaced or
// complemented by a learned detector later:
//
//  1. Build a pyramid of the frame by integer box averaging (level 0 is at
//     most Options.WorkWidth wide); each level looks for plates of about
//     28..100 of its own pixels wide, so the fixed-size operations below see
//     every plate size at one level or two.
//  2. Edge pass (per level): horizontal gradient |dx| (Sobel-like), an
//     adaptive threshold from the mean gradient, then a horizontal closing that
//     merges character strokes of one row into runs; runs of consecutive rows
//     are joined into connected components ("text blobs"). Blobs are filtered
//     by size and shape; the plate around each is estimated by growing a box
//     from the blob while the neighbouring rows and columns have the grey of
//     the plate's background (falling back to US proportions); the
//     candidate is scored from the strokes crossed per row, contrast, fill,
//     edge density, horizontal strokes (which fences and grilles lack), the
//     plate's aspect ratio and how much of its height the characters fill.
//  3. Bright pass (level 0): the frame is thresholded between its median and
//     its 99.5th percentile; rectangular bright components of plate shape with
//     strokes inside are candidates too. This is what finds plates in IR-flash
//     frames, where the retro-reflective plate is the brightest thing in view.
//  4. Candidates that agree (an edge blob inside a bright rectangle) are
//     fused; the rest go through non-maximum suppression (of two nested
//     candidates with close scores the one with taller characters wins, so a
//     plate beats its own state-name line), and the best Options.MaxRegions
//     are returned, best first, each box grown by Options.Margin.
//
// Scores are heuristic, not probabilities: a sign with a line of large print
// on a light rectangle scores like a plate; the reader sorts such regions out.
//
// A Detector is safe for concurrent use: per-call buffers come from a
// sync.Pool, so steady-state detection allocates only its result.
package detect
