// Package detect finds licence-plate candidates in a luma frame. It is pure Go
// (no cgo) and allocates little per frame.
//
// A plate is a row of 4 to 8 characters of one height standing alone on an
// even field, and that is what the detector looks for. The method is
// classic and cheap, a first stage meant to be complemented by a learned
// detector later:
//
//  1. Pyramid. The frame is box-averaged by an integer factor (full
//     resolution for the default Options.MinWidth) and halved repeatedly;
//     each level looks for characters 7..26 of its own pixels tall, so that
//     consecutive levels overlap and every plate from Options.MinWidth to
//     Options.MaxWidth is seen at one level or two.
//  2. Ink (per level). A pixel is dark ink when it is darker than the mean of
//     the window around it (about 0.8 of the tallest character) by a few
//     grey levels, bright ink when it is brighter (not on the finest level,
//     where light print on a dark field is all but never a plate's). The
//     same sweep makes shadow ink: dark ink where the pixel is a sixteenth
//     of the window's mean darker (at least 3 grey levels). A plate in
//     shadow or at dusk, its field at luma 50-60, has characters only a
//     dozen levels darker, which the fixed delta breaks into pieces; the
//     lower threshold joins some daylight plates' characters to what they
//     touch, so steps 3 and 4 run on both inks and their candidates
//     compete.
//     Straight strokes too long for a character are taken out of the ink
//     (vertical runs by an erosion and dilation of the ink bitsets,
//     horizontal ones as runs are read): they are plate frames, bumper and
//     window edges, and the characters that touch them come free.
//  3. Glyphs. The ink's connected components that have the size, shape
//     and contrast of a character are glyphs (contrast relative to the
//     field's brightness, up to three times as much below luma 128: see
//     glyph.visible; the plate's edges in step 5 are weighed alike). Components as wide as a few
//     characters are cut at the columns (and the valleys of the column
//     profile) where little ink crosses them: characters joined by blur.
//     Components too tall, a plate's frame with its characters, lose the
//     rows and columns their ink mostly covers and are labelled again.
//     Light counters inside dark glyphs (the holes of 0, 4, 6, 8, A) and
//     glyphs that wrap around two others (a frame joined to a stroke) are
//     dropped.
//  4. Rows. Each glyph is linked to its best right neighbour (as tall, on
//     its line, at most 1.2 heights away) when that one's best left
//     neighbour is it; the chains are rows. Glyphs at a row's ends that do
//     not match the rest (other print, other height, set apart) are
//     trimmed. A row scores from its number of characters (5 to 8 best;
//     burnt-in timestamps and signs have more), how well their tops and
//     bottoms line up, their contrast and how alike their ink and
//     background are, their widths, and two signs that a row is text
//     among text rather than a plate: glyphs of the same size on its line
//     just beyond its ends (the rest of a sign, a sticker, a timestamp),
//     and glyphs as large right above or below it (the lines of a sign,
//     texture, noise). Rows in a frame corner (where overlays sit) lose
//     half their score.
//  5. Plate box. From the row, the plate's edges are sought above, below,
//     left and right, as changes of the mean grey along lines parallel to
//     the (possibly tilted) row, the nearest strong one within plate-like
//     distances, falling back to typical proportions; the box is tight to
//     the plate, not to its recess or the bumper. How many edges back the
//     box, how even the field around the characters is and the box's
//     aspect ratio complete the score.
//  6. Bright pass (one level about Options.WorkWidth wide): the frame is
//     thresholded between its median and its 99.5th percentile;
//     rectangular bright components of plate shape with dark strokes
//     inside are candidates. This finds plates in IR-flash frames, where
//     the retro-reflective plate is the brightest thing in view. A row
//     inside a bright rectangle of its plate's size takes the rectangle as
//     its box and adds up the evidence; a lone rectangle scores low.
//  7. Candidates whose rows continue each other's line across levels are
//     pieces of a longer line and lose half their score. Non-maximum
//     suppression keeps the best of overlapping candidates (of nested ones,
//     the plate's row over its smaller print or over a part of its row),
//     and the best Options.MaxRegions are returned, best first, each box
//     grown by Options.Margin.
//
// Scores are heuristic, not probabilities; a line of print that looks like
// a plate (EXIT 12B) scores like one, and the reader sorts such regions out.
//
// A Detector is safe for concurrent use: per-call buffers come from a
// sync.Pool, so steady-state detection allocates only its result.
package detect
