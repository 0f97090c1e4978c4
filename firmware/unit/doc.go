// Package unit wires the whole unit together. It is the one package allowed to
// depend on everything: it turns the configuration and the board profile into
// adapters (V4L2 or replay camera, GPIO over periph or its fakes, NMEA or fixed
// GPS, Tesseract readers, the MQTT uplink), hands them to the stage packages as
// interfaces, and runs them until the context ends.
//
// Nothing else imports this package except firmware/cmd/alprd.
package unit
