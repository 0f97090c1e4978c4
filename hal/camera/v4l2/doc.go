// Package v4l2 is a camera.Source for a real Video4Linux2 camera (a UVC
// webcam or the Pi's ISP node) over github.com/blackjack/webcam.
//
// Open negotiates a pixel format (MJPEG preferred, else YUYV), the supported
// frame size nearest the one asked for and, where the driver allows, the
// frame rate, then starts streaming with four mmap buffers. Next waits for a
// buffer, copies it out and gives it straight back to the driver (which
// overwrites it), then extracts luma: every other byte for YUYV, the Y plane
// of the decoded JPEG for MJPEG, restoring the Huffman tables that many UVC
// cameras leave out.
//
// Only Linux has a device; on other systems Open returns an error wrapping
// errors.ErrUnsupported. The format, size and YUYV arithmetic live in
// convert.go, without build tags, so they are tested everywhere.
//
// Next waits in steps of one second (the webcam API's resolution), so it
// notices ctx and a concurrent Close within about a second when the camera
// sends nothing.
package v4l2
