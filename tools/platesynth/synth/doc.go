// Package synth synthesizes licence-plate images with ground truth, for
// testing and benchmarking the ALPR pipeline without real photos.
//
// Plates are rendered from format descriptions (Formats: "us-ca" 1ABC234,
// "us-tx"/"us-ny"/"us-wa" ABC1234, "us-fl" ABCD12) with the Go fonts, warped
// by a random perspective, and pasted onto the rear of a drawn car in a
// synthetic street scene, then blurred, noised and given glare. A fraction
// of the frames get the infrared night look: grey, dark surroundings, a
// bright retro-reflective plate with dark characters. Each frame also has a
// burnt-in camera timestamp (unless Options.NoTimestamp) and sometimes a
// bumper sticker: text that is not a plate.
//
// Everything is a function of Options (including Seed):
//
//	g, err := synth.New(synth.DefaultOptions())
//	s := g.Next()      // s.Frame (1280x720), s.Plate "7ABC123", s.Box, s.Quad
//	c := g.NextCrop()  // the next sample, cropped around its plate
//	img, err := synth.RenderPlate("us-ca", "7ABC123", 240, false) // a flat plate
//	gray := synth.Gray(img) // the luma plane, as plate detection sees it
//	err = synth.WriteDataset("out", synth.LayoutEndToEnd, 100, g)
//
// Rendering a 1280x720 frame takes about 30 ms on one core. With the default
// effects, Tesseract (eng LSTM, --psm 7) reads most plates of 120 px or wider
// from a tight crop; plates under about 100 px wide are meant to be hard.
package synth
