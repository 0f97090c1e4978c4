// Package eval measures the recognition engine (package alprd/ocr) on a
// labelled folder of images: how many plates it finds, how many it reads
// right, and how fast. It is the library behind the alpreval command; it is
// pure Go and takes the Tesseract reader from its caller (Config.NewReader),
// so that it builds and is tested without cgo where a fake reader will do.
//
// # Data sets
//
// Two layouts of the openalpr benchmarks are read (see Load):
//
//   - LayoutEndToEnd: full frames NAME.jpg, NAME.jpeg or NAME.png, each with
//     NAME.txt holding one line "NAME.jpg x y width height PLATE" (fields
//     separated by tabs or spaces; the box is the plate's, in pixels).
//   - LayoutCrops: plate crops and groundtruth.csv with lines
//     "file,state,plate" (an optional header line "file,state,plate").
//
// End-to-end frames go through ocr.Engine.Recognize, exactly as the unit
// runs them. Crops skip detection: the whole image is the plate, read with
// Reader.Read, corrected with the Corrector when there is one, and kept only
// when it passes the Engine's filter (MinChars..MaxChars characters,
// confidence at least MinConfidence).
//
// # Metrics
//
// Boxes are compared by intersection over union (IoU: area of the
// intersection / area of the union; 0 when they do not meet). For crops the
// label box and the plate box are both the whole image.
//
//   - Detection recall (end-to-end only): the fraction of labels for which one
//     of the regions the Detector returned, among the first MaxPlates (the
//     ones the Engine reads), has IoU >= MatchIoU (0.3) with the label box;
//     "recall at 0.5" uses StrictIoU (0.5). It does not depend on what the
//     reader made of the region.
//   - Found / missed ("plates not found"): a label is found when a plate the
//     Engine returned (after its filters) has IoU >= MatchIoU with it;
//     missed = images - found. This is OpenALPR's "no plate found": a region
//     that was detected but whose reading was dropped is missed too. For
//     crops, found means the reading passed the filter.
//   - Best plate: among the returned plates that overlap the label box at all
//     (IoU > 0), the one with the greatest IoU; when none overlaps, the first
//     returned plate (the Engine returns the best detection first); none when
//     no plate was returned.
//   - Other reads (end-to-end only): the returned plates that do not overlap
//     the label box (IoU below MatchIoU), and the images with one or more:
//     another car's plate (the labels name one plate a frame), or what is
//     not a plate (a sticker, a sign, a grille).
//   - Blank (Config.Blank, alpreval -blank): each labelled plate is painted
//     out of its frame before recognition (see Blank), so that every read
//     is of something that is not a plate and counts as another read: how
//     often the unit would report a plate where there is none, measured on
//     real frames. The accuracy figures mean nothing then.
//   - Top-1 exact: the best plate's text equals the label.
//   - Top-1 O=0: the same with the letter O and the digit 0 taken as equal
//     (some labels write one for the other).
//   - Top-10: the label is the text or among the first 10 candidates
//     (Reading.Candidates) of a returned plate that overlaps the label box
//     (IoU > 0) or of the best plate. So top-1 implies top-10.
//
// All rates are over all images of the set (fractions 0..1 in the JSON
// summary, percentages in the table).
//
// Time per image is the wall time of Engine.Recognize (detection, cropping,
// reading, correction) — for crops, of Read plus Correct — measured per
// image; decoding the file and taking its luma plane are timed apart.
// Median and p90 interpolate linearly between the closest ranks. Peak memory
// is the process's VmHWM (peak resident set, including Tesseract's C
// memory) read from /proc/self/status at the end of the run, the alpreval
// command running under the unit's soft limit on the Go heap (see
// ocr.LimitGoMemory); the Go heap is runtime.MemStats.HeapSys, the heap
// memory obtained from the system, which does not shrink.
package eval
