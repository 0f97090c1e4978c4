package syntax_test

import (
	"fmt"

	"alprd/ocr"
	"alprd/ocr/syntax"
)

func ExampleCorrector_Correct() {
	c, err := syntax.New("us-ca")
	if err != nil {
		panic(err)
	}
	r := c.Correct(ocr.Reading{
		Text:       "7A8C1Z3",
		Raw:        "7A8C 1Z3",
		Confidence: 80,
		Candidates: []ocr.Candidate{{Text: "7A8C1Z3", Confidence: 80}},
	})
	fmt.Println(r.Text, r.Raw)
	for _, cd := range r.Candidates {
		fmt.Println(cd.Text, cd.Confidence)
	}
	// A personalised plate fits no template and is kept as read, but for
	// its O: on US plates the letter O and the digit 0 are one glyph,
	// written 0.
	fmt.Println(c.Correct(ocr.Reading{Text: "GOTEAM", Confidence: 90}).Text)
	// Output:
	// 7ABC123 7A8C 1Z3
	// 7ABC123 86
	// 7A8C1Z3 80
	// G0TEAM
}

func ExampleCorrector_Match() {
	c, err := syntax.New("us-ca", "us-tx")
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Match("7ABC123"))
	fmt.Println(c.Match("ABC-1234"))
	fmt.Println(c.Match("ABC123"))
	fmt.Println(c.Match("GOTEAM"))
	// Output:
	// us-ca true
	// us-tx true
	// us true
	//  false
}
