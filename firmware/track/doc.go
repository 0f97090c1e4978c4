// Package track turns per-frame plate readings into one read per vehicle pass.
//
// A car passing the camera is seen in several consecutive frames, and each
// frame's OCR may read its plate a little differently ("7ABC123", "7A8C123",
// "7ABC12"). A Tracker groups the observations of one plate into a track and,
// once the vehicle has left, emits one Pass whose text is voted character by
// character over all the track's readings.
//
// # Grouping
//
// Each frame's observations are matched to the open tracks by box motion and
// text. Motion: the distance between the observation's box centre and the
// centre predicted from the track's last box and velocity, in units of the
// box diagonal, plus a size-change limit. Text: an edit distance in which the
// characters OCR confuses (O/0/D, I/1, B/8, S/5, Z/2, G/6) cost 0.3 instead of
// 1, normalised by the longer text, between the observation's text (and its
// first alternatives) and the track's texts. A pair is accepted when the boxes
// are close (text ignored), when they are within the motion gate and the texts
// are similar, or when the texts differ only by confusable characters
// wherever the box is (a plate the detector lost for a few frames). Accepted pairs are assigned greedily,
// cheapest first: a track takes at most one observation per frame, so two
// cars in one frame make two tracks. An unmatched observation whose box
// overlaps (IoU >= 0.5) an observation of the same frame that did match is a
// duplicate detection of that plate: it adds a reading, not a frame.
// Everything else starts a new track.
//
// # Closing
//
// A track closes, and its pass is returned by Add, when no observation joined
// it for Config.Window (or Config.WindowFrames frames), when it is
// Config.MaxAge old (a parked car gives a pass every MaxAge), when it would
// exceed Config.MaxTracks, or on Flush. A car seen again after it closed
// starts a new pass.
//
// # Voting
//
// The pass's length is the one with the most confidence-weighted readings
// among the confident ones (confidence at least half the track's best).
// Readings of that length vote per position with weight confidence/100;
// their alternative candidates of the same length vote at the positions where
// they differ with half their weight; readings of other lengths are aligned
// to the provisional vote by edit distance and vote at half weight (a reading
// too unlike the vote is ignored). Each position's share is the winner's
// weight over the position's total. Pass.Confidence is the mean confidence of
// the full-weight readings times the product of the shares: the chance that
// every character is right, scaled to the OCR's 0..100 scale. The candidates
// are the best texts by that product (the runner-up per position first),
// plus readings of other lengths, each scored the same way.
//
// # Time
//
// Time is passed in, never read from a clock: Add takes the frame's time and
// each Observation carries its capture time. Frames may arrive a little out
// of order when several OCR workers run; observation times are used as they
// are, the tracker's clock never goes back, and a clock stepped back by more
// than Window closes every track. The Tracker is deterministic: the same
// calls give the same passes.
//
// A Tracker is not safe for concurrent use: one goroutine owns it.
package track
